// Benchmark (not a test): how fast a real KEDA reacts to the master's numbers on real nodes.
//
//   npm run bench:keda               # BENCH_KEDA_RUNS (default 3) runs of the node tier's specs 1, 2, 17-19
//
// Each run is a whole node tier (tests/node: root, Linux, the tools of scripts/tools/build.sh) for
// specs 1 (up), 2 (the consumer stack, whose Job pod template the applications use) and 17-19
// (KEDA installed from upstream's manifests; polling 5 s, stabilization 20 s), which record, in
// seconds:
//   busy: waiting->alive       the only core busy, an application WAITING -> a 2nd worker ALIVE
//   busy: waiting->executor    the same application -> its executor running (state RUNNING)
//   busy: done->removed        that application done -> the idle worker decommissioned and gone
//   idle->zero                 minReplicas 0 set on an idle cluster -> no worker left
//   zero: waiting->alive       an application WAITING for cores -> a worker ALIVE in the master
//   zero: waiting->executor    the same application -> its executor running (state RUNNING)
// The medians and spreads of the runs are printed; nothing is asserted on time.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { printTable, spread } from "./report";

const runs = Number(process.env.BENCH_KEDA_RUNS ?? "3");
if (!Number.isInteger(runs) || runs < 1) {
    throw new Error(`BENCH_KEDA_RUNS must be a whole number >= 1, got '${process.env.BENCH_KEDA_RUNS}'`);
}
const root = path.resolve(__dirname, "..");
const figures: Record<string, number[]> = {};
for (let i = 1; i <= runs; i++) {
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "bench-keda-")), "reaction.json");
    const r = spawnSync("npx", ["mocha", "--config", ".mocharc.node.json", "--grep", "^the local stack on real nodes (1|2|17|18|19)\\. "], {
        cwd: root,
        stdio: ["ignore", "inherit", "inherit"],
        env: { ...process.env, TS_NODE_TRANSPILE_ONLY: "1", BENCH_KEDA_OUT: out },
    });
    if (r.status !== 0 || !fs.existsSync(out)) {
        throw new Error(`run ${i}: the node tier's specs 1, 2, 17-19 did not complete (exit ${r.status}); no figures`);
    }
    for (const [k, v] of Object.entries(JSON.parse(fs.readFileSync(out, "utf8")) as Record<string, number>)) {
        (figures[k] ??= []).push(v);
    }
}
console.log(`\nKEDA's reaction on the real nodes, ${runs} run(s), seconds: median (min-max)\n`);
printTable([["step", "seconds"], ...Object.entries(figures).map(([k, v]) => [k, spread(v)])]);
