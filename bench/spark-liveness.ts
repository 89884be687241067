// Benchmark (not a test): how fast the master sees workers come and go, with the image's
// tuned conf (images/spark/conf) and with Spark's defaults. Prints a table.
//
//   npx ts-node --transpile-only bench/spark-liveness.ts
//
// Env: BENCH_SPARK_VERSION (default: the pinned default), BENCH_WORKERS (default 4),
// BENCH_LOAD_SECONDS (default 30; 0 skips the false-alarm check).
//
// Per configuration: one master; workers started one after another (start -> ALIVE);
// then, with both cores saturated for a while, any worker the master wrongly drops
// (false alarms); then one worker SIGKILLed (its TCP connections close: the master hears
// at once) and the others SIGSTOPped together (connections stay open, heartbeats stop:
// only spark.worker.timeout finds them, as with a node that dropped off the network).
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { printTable, spread } from "./report";
import { CONF_DIR, installSpark, MasterHandle, pinnedVersions, SparkHarness, waitFor, WorkerHandle } from "../tooling/spark";

interface Result {
    label: string;
    timeout: string;
    startToAlive: number[];
    killToDead: number[];
    stopToDead: number[];
    falseDrops: number | undefined;
}

const seconds = (ms: number) => (ms / 1000).toFixed(1);
/** Samples in ms: `median (min-max)` in seconds, or "-" when there are none. */
const summary = (xs: number[]) => (xs.length === 0 ? "-" : spread(xs.map((x) => x / 1000)));

async function notAlive(h: SparkHarness, master: MasterHandle, id: string, limitMs: number): Promise<void> {
    await waitFor(
        `worker ${id} dropped`,
        limitMs,
        async () => {
            const json = await h.masterJson(master);
            const w = json.workers.find((x) => x.id === id);
            return w === undefined || w.state !== "ALIVE" ? true : undefined;
        },
        100,
    );
}

/** Two busy loops (one per core) for `secs`; resolves when they end. */
function saturateCpus(secs: number): Promise<void> {
    const code = `const end = Date.now() + ${secs * 1000}; while (Date.now() < end) {}`;
    const procs = [0, 1].map(() => spawn(process.execPath, ["-e", code], { stdio: "ignore" }));
    return Promise.all(procs.map((p) => new Promise<void>((resolve) => p.once("exit", () => resolve())))).then(() => undefined);
}

async function run(version: string, sparkHome: string, label: string, confDir: string): Promise<Result> {
    const h = new SparkHarness(version, sparkHome, `spark-bench-${label}`);
    const env = { SPARK_CONF_DIR: confDir };
    const count = Number(process.env.BENCH_WORKERS ?? "4");
    const loadSeconds = Number(process.env.BENCH_LOAD_SECONDS ?? "30");
    const timeout = /^spark\.worker\.timeout\s+(\S+)/m.exec(
        fs.existsSync(path.join(confDir, "spark-defaults.conf")) ? fs.readFileSync(path.join(confDir, "spark-defaults.conf"), "utf8") : "",
    )?.[1];
    const result: Result = {
        label,
        timeout: timeout ?? "60 (default)",
        startToAlive: [],
        killToDead: [],
        stopToDead: [],
        falseDrops: undefined,
    };
    try {
        const master = await h.startMaster("master", { env, tini: true });
        await waitFor("master web UI", 60000, async () => (await h.masterJson(master)).status === "ALIVE" || undefined);
        const workers: WorkerHandle[] = [];
        for (let i = 1; i <= count; i++) {
            const t0 = Date.now();
            const w = await h.startWorker(master, `worker-${i}`, { env, tini: true });
            workers.push(w);
            await waitFor(
                `worker-${i} ALIVE`,
                90000,
                async () => {
                    const [e] = await h.workerEntry(master, w);
                    return e?.state === "ALIVE" ? true : undefined;
                },
                100,
            );
            result.startToAlive.push(Date.now() - t0);
        }
        const ids = new Map<WorkerHandle, string>();
        for (const w of workers) ids.set(w, (await h.workerEntry(master, w))[0].id);

        if (loadSeconds > 0) {
            // False alarms: does any worker get dropped while the machine is saturated?
            const dropped = new Set<string>();
            const load = saturateCpus(loadSeconds);
            let done = false;
            void load.then(() => (done = true));
            while (!done) {
                try {
                    const json = await h.masterJson(master);
                    for (const w of json.workers) if (w.state !== "ALIVE") dropped.add(w.id);
                } catch {
                    /* a slow answer under load is not a drop */
                }
                await new Promise((r) => setTimeout(r, 250));
            }
            result.falseDrops = dropped.size;
            await h.waitAliveWorkers(master, count, 120000);
        }

        const [killed, ...stopped] = workers;
        const t0 = Date.now();
        killed.proc.killTree("SIGKILL");
        await notAlive(h, master, ids.get(killed) as string, 300000);
        result.killToDead.push(Date.now() - t0);

        // Staggered over one timeout period, so the samples fall at different phases of the
        // master's periodic check (which is what spreads the latency between 0.75x and 2x).
        const periodMs = Number(timeout ?? "60") * 1000;
        await Promise.all(
            stopped.map(async (w, i) => {
                await new Promise((r) => setTimeout(r, (i * periodMs) / stopped.length));
                const stoppedAt = Date.now();
                w.proc.killTree("SIGSTOP");
                await notAlive(h, master, ids.get(w) as string, 300000);
                result.stopToDead.push(Date.now() - stoppedAt);
            }),
        );
        return result;
    } finally {
        await h.stopAll();
    }
}

async function main(): Promise<void> {
    const version = process.env.BENCH_SPARK_VERSION ?? pinnedVersions().SPARK_VERSION_DEFAULT;
    const sparkHome = installSpark(version);
    // Spark's defaults: the same logging, no spark-defaults.conf.
    const defaultsDir = fs.mkdtempSync(path.join(os.tmpdir(), "spark-defaults-conf-"));
    fs.copyFileSync(path.join(CONF_DIR, "log4j2.properties"), path.join(defaultsDir, "log4j2.properties"));
    const results: Result[] = [];
    try {
        for (const [label, dir] of [
            ["image conf", CONF_DIR],
            ["Spark defaults", defaultsDir],
        ] as const) {
            process.stderr.write(`[bench] Spark ${version}, ${label} ...\n`);
            const t = Date.now();
            results.push(await run(version, sparkHome, label.replace(/\s+/g, "-"), dir));
            process.stderr.write(`[bench] ${label} done in ${seconds(Date.now() - t)} s\n`);
        }
    } finally {
        fs.rmSync(defaultsDir, { recursive: true, force: true });
    }
    const rows = [
        ["conf", "spark.worker.timeout (s)", "start -> ALIVE (s)", "SIGKILL -> DEAD (s)", "SIGSTOP -> DEAD (s)", "false drops under load"],
        ...results.map((r) => [
            r.label,
            r.timeout,
            summary(r.startToAlive),
            summary(r.killToDead),
            summary(r.stopToDead),
            r.falseDrops === undefined ? "not run" : String(r.falseDrops),
        ]),
    ];
    console.log(`\nSpark ${version} on ${os.cpus().length} cores; median (min-max) over samples`);
    printTable(rows);
}

main().catch((err) => {
    console.error(err);
    process.exit(1);
});
