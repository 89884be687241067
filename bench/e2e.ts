// npm run bench:e2e: seconds for the real `pulumi up` from empty, a scale edit (preview and up),
// an upgrade edit's preview and destroy of the local stack, each beside the floor: a flat Pulumi
// program (bench/flat/) deploying exactly the same Kubernetes objects, rendered from the program
// for each edit, with the same CLI, language host and provider; kubectl doing the same to the same
// files (apply + rollout status, diff, delete) is shown too. Medians of SPARK_BENCH_RUNS runs
// (default 3), the three interleaved in each run so a busy moment hits them alike; ratio =
// project / flat. Needs the built tools (scripts/tools/build.sh). Figures, not a test.
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import { writeRendered } from "../scripts/render";
import { ROOT } from "../tooling/mocks/program";
import {
    initStack,
    project as projectDir,
    KUBECONFIG,
    kubectl,
    localStackConfig,
    pulumi,
    readStackConfig,
    startEnvironment,
    stopEnvironment,
    work,
    writeStackConfig,
} from "../tooling/controlPlane";

const NS = "spark-local";
const RUNS = Number(process.env.SPARK_BENCH_RUNS ?? 3);
const STEPS = [
    ["up from empty", "up"],
    ["scale edit: preview", "preview"],
    ["scale edit: up", "scale"],
    ["upgrade edit: preview", "upgradePreview"],
    ["destroy", "destroy"],
] as const;
type Step = (typeof STEPS)[number][1];
type Sample = Record<Step, number>;

// The two edits, as stack config: a scale (workerReplicas 2 -> 3) and an upgrade (Spark 4 -> 3.5,
// with the image that carries it), the edits users make most.
const SCALE = { "spark-on-k8s:workerReplicas": "3" };
const UPGRADE = { ...SCALE, "spark-on-k8s:sparkVersion": "3.5.9", "spark-on-k8s:image": "spark-on-k8s/spark:3.5.9-local" };

function time(fn: () => void): number {
    const start = process.hrtime.bigint();
    fn();
    return Number(process.hrtime.bigint() - start) / 1e9;
}

function median(xs: number[]): number {
    const s = [...xs].sort((a, b) => a - b);
    const mid = Math.floor(s.length / 2);
    return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

function up(cwd?: string): void {
    pulumi(["up", "--yes", "--skip-preview", "--stack", cwd ? "flat" : "local"], { cwd });
}

/** The project's local stack through one run of the steps. */
function project(base: Record<string, unknown>): Sample {
    const edit = (extra: Record<string, string>) => writeStackConfig("local", { ...base, ...extra });
    edit({});
    const s = { up: time(() => up()) } as Sample;
    edit(SCALE);
    s.preview = time(() => pulumi(["preview", "--stack", "local"]));
    s.scale = time(() => up());
    edit(UPGRADE);
    s.upgradePreview = time(() => pulumi(["preview", "--stack", "local"]));
    edit(SCALE);
    s.destroy = time(() => pulumi(["destroy", "--yes", "--skip-preview", "--stack", "local"]));
    edit({});
    return s;
}

/** The flat program's stack, its `rendered` directory switched per edit. */
function flat(dir: string, rendered: { base: string; scale: string; upgrade: string }): Sample {
    const file = path.join(dir, "Pulumi.flat.yaml");
    const point = (at: string) => {
        const current = (yaml.load(fs.readFileSync(file, "utf8")) as Record<string, unknown>) ?? {};
        fs.writeFileSync(file, yaml.dump({ ...current, config: { "spark-flat:kubeconfig": KUBECONFIG, "spark-flat:rendered": at } }));
    };
    point(rendered.base);
    const s = { up: time(() => up(dir)) } as Sample;
    point(rendered.scale);
    s.preview = time(() => pulumi(["preview", "--stack", "flat"], { cwd: dir }));
    s.scale = time(() => up(dir));
    point(rendered.upgrade);
    s.upgradePreview = time(() => pulumi(["preview", "--stack", "flat"], { cwd: dir }));
    point(rendered.scale);
    s.destroy = time(() => pulumi(["destroy", "--yes", "--skip-preview", "--stack", "flat"], { cwd: dir }));
    return s;
}

function rollout(): void {
    for (const d of ["spark-master", "spark-worker"]) {
        kubectl(["-n", NS, "rollout", "status", `deployment/${d}`, "--timeout=120s"]);
    }
}

/** kubectl on the same files: apply + rollout status, diff (exit 1 = differences: its success), delete. */
function byKubectl(rendered: { base: string; scale: string; upgrade: string }): Sample {
    const s = {
        up: time(() => {
            kubectl(["apply", "-f", rendered.base]);
            rollout();
        }),
    } as Sample;
    s.preview = time(() => kubectl(["diff", "-f", rendered.scale], { allowFail: true }));
    s.scale = time(() => {
        kubectl(["apply", "-f", rendered.scale]);
        rollout();
    });
    s.upgradePreview = time(() => kubectl(["diff", "-f", rendered.upgrade], { allowFail: true }));
    s.destroy = time(() => kubectl(["delete", "-f", rendered.scale, "--wait=true"]));
    return s;
}

/**
 * `pulumi preview` of the scale edit with the program compiled another way than tsconfig.json's
 * (SWC, no type check), through a tsconfig beside it that the language host is pointed at
 * (PULUMI_NODEJS_TSCONFIG_PATH): TypeScript's own emitter, and ts-node's default type check.
 */
function compiledOtherwise(base: Record<string, unknown>, tsNode: Record<string, boolean>): number {
    const file = "tsconfig.bench.json";
    fs.writeFileSync(path.join(projectDir, file), JSON.stringify({ extends: "./tsconfig.json", "ts-node": tsNode }));
    writeStackConfig("local", { ...base, ...SCALE });
    process.env.PULUMI_NODEJS_TSCONFIG_PATH = file;
    try {
        return time(() => pulumi(["preview", "--stack", "local"]));
    } finally {
        delete process.env.PULUMI_NODEJS_TSCONFIG_PATH;
        writeStackConfig("local", base);
    }
}

/**
 * The floor as a user would write it: the rendered objects without the project's tuning of the
 * provider's waits (`pulumi.com/skipAwait` on the Services whose backends are awaited, see
 * components/clusterSpec.ts), so the ratio shows what that tuning saves. With it the flat
 * program's up from empty took 5.3 s instead of 15 s (2026-12-04). Otherwise the same objects.
 */
function handWritten(dir: string): string {
    for (const f of fs.readdirSync(dir)) {
        const file = path.join(dir, f);
        const o = yaml.load(fs.readFileSync(file, "utf8")) as { metadata: { annotations?: Record<string, string> } };
        if (o.metadata.annotations?.["pulumi.com/skipAwait"] !== undefined) {
            delete o.metadata.annotations["pulumi.com/skipAwait"];
            if (Object.keys(o.metadata.annotations).length === 0) delete o.metadata.annotations;
            fs.writeFileSync(file, yaml.dump(o, { noRefs: true, sortKeys: false }));
        }
    }
    return dir;
}

function main(): void {
    // The CLI runs as users run it: npm's TS_NODE_TRANSPILE_ONLY (for this script) must not reach
    // ts-node inside the language host, or it would hide what tsconfig.pulumi.json changes.
    delete process.env.TS_NODE_TRANSPILE_ONLY;
    startEnvironment();
    try {
        writeStackConfig("local", localStackConfig());
        initStack("local");
        const base = readStackConfig("local");

        // The flat program beside the project copy, sharing its node_modules.
        const flatDir = path.join(work, "flat");
        fs.mkdirSync(flatDir);
        for (const f of ["Pulumi.yaml", "index.ts", "package.json", "tsconfig.json"]) {
            fs.copyFileSync(path.join(ROOT, "bench", "flat", f), path.join(flatDir, f));
        }
        fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(flatDir, "node_modules"));
        pulumi(["stack", "init", "flat", "--secrets-provider", "passphrase"], { cwd: flatDir });
        const rendered = {
            base: handWritten(writeRendered("local", path.join(work, "rendered", "base"))),
            scale: handWritten(writeRendered("local", path.join(work, "rendered", "scale"), SCALE)),
            upgrade: handWritten(writeRendered("local", path.join(work, "rendered", "upgrade"), UPGRADE)),
        };

        const runs: Array<{ project: Sample; flat: Sample; kubectl: Sample; tsc: number; checked: number }> = [];
        for (let i = 0; i < RUNS; i++) {
            runs.push({
                project: project(base),
                flat: flat(flatDir, rendered),
                kubectl: byKubectl(rendered),
                tsc: compiledOtherwise(base, { swc: false, transpileOnly: true }),
                checked: compiledOtherwise(base, { swc: false, transpileOnly: false }),
            });
            const r = runs[i];
            console.log(
                `run ${i + 1}/${RUNS}: ` +
                    STEPS.map(([, k]) => `${k} ${r.project[k].toFixed(1)}/${r.flat[k].toFixed(1)}/${r.kubectl[k].toFixed(1)}`).join(", ") +
                    " (project/flat/kubectl s)",
            );
        }

        const med = (who: "project" | "flat" | "kubectl", k: Step): number => median(runs.map((r) => r[who][k]));
        console.log(`\nLocal stack (existing target, KWOK-simulated nodes), medians of ${RUNS} runs:`);
        console.log("step                     project s    flat s   ratio   kubectl s");
        for (const [label, k] of STEPS) {
            const p = med("project", k);
            const f = med("flat", k);
            console.log(
                `${label.padEnd(23)}  ${p.toFixed(1).padStart(9)}  ${f.toFixed(1).padStart(8)}  ${(p / f).toFixed(2).padStart(6)}x  ${med("kubectl", k).toFixed(1).padStart(10)}`,
            );
        }
        const preview = med("project", "preview");
        for (const [what, k] of [
            ["TypeScript's emitter instead of SWC", "tsc"],
            ["ts-node's type check on", "checked"],
        ] as const) {
            const v = median(runs.map((r) => r[k]));
            console.log(`scale edit: preview with ${what}: ${v.toFixed(1)} s, ${(v / preview).toFixed(2)}x the project's`);
        }
    } finally {
        stopEnvironment();
    }
}

main();
