// npm run bench: per target, the time and peak memory to evaluate the whole program on mocks,
// next to the floor (the same process loading the SDKs and registering nothing), as a ratio.
// Figures, not a test: nothing here fails on a slow machine.
import { overridesFor, runProgram, stackConfig, STACKS } from "../tooling/mocks/program";

const RUNS = Number(process.env.BENCH_RUNS ?? 3);

/** Median time and peak memory over RUNS processes. */
function measure(stack: string): { ms: number; maxRssMiB: number; resources: number } {
    const runs = Array.from({ length: RUNS }, () => runProgram(stack, stack === "--floor" ? {} : overridesFor(stack)));
    const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    return {
        ms: median(runs.map((r) => r.usage.ms)),
        maxRssMiB: median(runs.map((r) => r.usage.maxRssMiB)),
        resources: runs[0].resources?.length ?? 0,
    };
}

function main(): void {
    const floor = measure("--floor");
    const rows: string[][] = [["stack", "target", "resources", "ms", "ms/floor", "peak MiB", "MiB/floor"]];
    rows.push(["(floor)", "-", "0", String(floor.ms), "1.00", String(floor.maxRssMiB), "1.00"]);
    for (const stack of STACKS) {
        const config = stackConfig(stack);
        const m = measure(stack);
        rows.push([
            stack,
            config["spark-on-k8s:target"],
            String(m.resources),
            String(m.ms),
            (m.ms / floor.ms).toFixed(2),
            String(m.maxRssMiB),
            (m.maxRssMiB / floor.maxRssMiB).toFixed(2),
        ]);
    }
    const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
    console.log(`Program evaluation on Pulumi mocks, median of ${RUNS} processes each (node ${process.version})`);
    for (const r of rows) {
        console.log(r.map((c, i) => c.padEnd(widths[i])).join("  "));
    }
}

main();
