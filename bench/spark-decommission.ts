// Benchmark (not a test): how long a worker takes from SIGTERM to exit, with and without
// decommissioning, and what an application running on it loses. Prints a table.
//
//   npx ts-node --transpile-only bench/spark-decommission.ts
//
// Env: BENCH_SPARK_VERSION (default: the pinned default), BENCH_RUNS (default 2: runs of
// decommission-job and decommission-busy; idle cases run BENCH_RUNS + 1 times, the other
// job cases, controls, once), BENCH_CASES (comma separated case names; default all but
// decommission-busy-30s and decommission-app-off). About 8 minutes on 2 cores.
//
// Every case uses the image conf (images/spark/conf), a master and workers of 1 core, 1g
// started through tini and the entrypoint, as in tests/spark. A case "with job" runs
// tests/spark/jobs/decommission.py on two workers (127.0.0.1 and 127.0.0.2, as pods have
// their own IPs): it caches an RDD and shuffles it on both executors and then waits; the
// worker on 127.0.0.2 gets SIGTERM (through tini); once it has exited the job runs the same
// actions again. The `busy` cases SIGTERM while each executor is in the middle of a task of
// a second shuffle (the job's `busy` mode), and let those tasks end 2 s later. Reported: SIGTERM -> worker exit, and what the application had to redo
// (records of the cached RDD and of the shuffle's map side computed again, tasks that did
// not succeed, stage attempts after the first).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { printTable, spread } from "./report";
import {
    eventField,
    installSpark,
    JOBS_DIR,
    MasterHandle,
    pinnedVersions,
    printedValue,
    readEventLog,
    SparkHarness,
    waitFor,
    WorkerHandle,
} from "../tooling/spark";

const N = 20000; // records of the job's cached RDD

interface Case {
    name: string;
    what: string;
    /** SPARK_WORKER_DECOMMISSION_TIMEOUT of the workers. */
    timeout: number;
    job: boolean;
    /** SIGTERM while every executor is in the middle of a task (job mode `busy`). */
    busy?: boolean;
    /** Extra --conf of the application. */
    appConf?: string[];
}

const CASES: Case[] = [
    { name: "decommission-job", what: "decommission (timeout 60 s), job with cache + shuffle", timeout: 60, job: true },
    {
        name: "decommission-job-30s",
        what: "same, Spark's default replicationReattemptInterval=30s",
        timeout: 60,
        job: true,
        appConf: ["spark.storage.decommission.replicationReattemptInterval=30s"],
    },
    {
        name: "decommission-busy",
        what: "decommission (timeout 60 s), job with cache + shuffle, a task running on each executor",
        timeout: 60,
        job: true,
        busy: true,
    },
    { name: "decommission-idle", what: "decommission (timeout 60 s), no application", timeout: 60, job: false },
    { name: "plain-job", what: "no decommission (timeout 0), job with cache + shuffle", timeout: 0, job: true },
    {
        name: "plain-busy",
        what: "no decommission (timeout 0), job with cache + shuffle, a task running on each executor",
        timeout: 0,
        job: true,
        busy: true,
    },
    { name: "plain-idle", what: "no decommission (timeout 0), no application", timeout: 0, job: false },
    {
        name: "decommission-busy-30s",
        what: "same, Spark's default replicationReattemptInterval=30s",
        timeout: 60,
        job: true,
        busy: true,
        appConf: ["spark.storage.decommission.replicationReattemptInterval=30s"],
    },
    {
        name: "decommission-app-off",
        what: "decommission, application with spark.decommission.enabled=false",
        timeout: 60,
        job: true,
        appConf: ["spark.decommission.enabled=false"],
    },
];

interface Sample {
    exitSeconds: number;
    exit: string;
    jobOk?: boolean;
    recomputedSource?: number;
    recomputedMap?: number;
    /** busy: records of the gated stage's map side computed more than once. */
    recomputedBusy?: number;
    failedTasks?: number;
    retriedStages?: number;
}

async function alive(h: SparkHarness, master: MasterHandle, w: WorkerHandle): Promise<string> {
    return waitFor(`${w.name} ALIVE`, 90000, async () => {
        h.assertRunning(w.proc);
        const [e] = await h.workerEntry(master, w);
        return e?.state === "ALIVE" ? e.id : undefined;
    });
}

async function sigtermAndWait(w: WorkerHandle, limitS: number): Promise<Pick<Sample, "exitSeconds" | "exit">> {
    const t0 = Date.now();
    w.proc.signal("SIGTERM");
    const st = await w.proc.waitExit(limitS * 1000);
    if (st === undefined) throw new Error(`${w.name} still running ${limitS} s after SIGTERM`);
    return { exitSeconds: (Date.now() - t0) / 1000, exit: st.signal ?? String(st.code) };
}

async function runIdle(h: SparkHarness, master: MasterHandle, c: Case, i: number): Promise<Sample> {
    const env = { SPARK_WORKER_DECOMMISSION_TIMEOUT: String(c.timeout) };
    const w = await h.startWorker(master, `${c.name}-${i}`, { tini: true, env, host: "127.0.0.2" });
    await alive(h, master, w);
    return sigtermAndWait(w, c.timeout + 30);
}

async function runJob(h: SparkHarness, master: MasterHandle, c: Case, i: number): Promise<Sample> {
    const env = { SPARK_WORKER_DECOMMISSION_TIMEOUT: String(c.timeout) };
    const survivor = await h.startWorker(master, `${c.name}-${i}-keep`, { tini: true, env, host: "127.0.0.1" });
    const victim = await h.startWorker(master, `${c.name}-${i}-victim`, { tini: true, env, host: "127.0.0.2" });
    try {
        await Promise.all([alive(h, master, survivor), alive(h, master, victim)]);
        const runDir = fs.mkdtempSync(path.join(h.dir, `${c.name}-${i}-`));
        const eventDir = path.join(runDir, "events");
        fs.mkdirSync(eventDir);
        const ready = path.join(runDir, "ready");
        const go = path.join(runDir, "go");
        const conf = [
            "spark.ui.enabled=false",
            "spark.eventLog.enabled=true",
            `spark.eventLog.dir=file://${eventDir}`,
            "spark.eventLog.compress=false",
            ...(c.appConf ?? []),
        ];
        const driver = h.start(
            `${c.name}-${i}-driver`,
            [
                "submit",
                ...conf.flatMap((x) => ["--conf", x]),
                "--executor-memory",
                "512m",
                path.join(JOBS_DIR, "decommission.py"),
                ready,
                go,
                "2",
                c.busy ? "busy" : "idle",
            ],
            { env: { SPARK_MASTER_URL: master.url } },
        );
        await waitFor("job ready", 180000, () => {
            h.assertRunning(driver);
            return fs.existsSync(ready) || undefined;
        });
        let sample: Sample;
        if (c.busy) {
            // Both executors blocked in a task of the gated stage; SIGTERM; let the tasks end 2 s later.
            await waitFor("a task running on each executor", 60000, () =>
                fs.readdirSync(`${ready}.running`).length >= 2 ? true : undefined,
            );
            const exited = sigtermAndWait(victim, c.timeout + 30);
            await new Promise((r) => setTimeout(r, 2000));
            fs.writeFileSync(go, "");
            sample = await exited;
            fs.writeFileSync(`${go}.after`, "");
        } else {
            sample = await sigtermAndWait(victim, c.timeout + 30);
            fs.writeFileSync(go, "");
        }
        const st = await driver.waitExit(180000);
        const out = driver.output();
        sample.jobOk = st?.code === 0 && printedValue(out, "AFTER_OK") === "True" && printedValue(out, "AFTER_COUNT") === String(N);
        sample.recomputedSource = Number(printedValue(out, "AFTER_COMPUTED") ?? NaN) - N;
        sample.recomputedMap = Number(printedValue(out, "AFTER_MAPPED") ?? NaN) - N;
        if (c.busy) {
            sample.recomputedBusy = Number(printedValue(out, "BUSY_MAPPED") ?? NaN) - N;
            sample.jobOk = sample.jobOk && printedValue(out, "BUSY_OK") === "True";
        }
        const appId = printedValue(out, "APP_ID") ?? "";
        const events = readEventLog(eventDir, appId);
        sample.failedTasks = events.filter(
            (e) => e.Event === "SparkListenerTaskEnd" && eventField(e, "Task End Reason", "Reason") !== "Success",
        ).length;
        sample.retriedStages = events.filter(
            (e) => e.Event === "SparkListenerStageSubmitted" && eventField<number>(e, "Stage Info", "Stage Attempt ID") > 0,
        ).length;
        return sample;
    } finally {
        await survivor.proc.stop();
        await victim.proc.stop();
    }
}

async function main(): Promise<void> {
    const version = process.env.BENCH_SPARK_VERSION ?? pinnedVersions().SPARK_VERSION_DEFAULT;
    const runs = Number(process.env.BENCH_RUNS ?? "2");
    const wanted = (process.env.BENCH_CASES ?? "").split(/[\s,]+/).filter((x) => x !== "");
    const optional = ["decommission-busy-30s", "decommission-app-off"];
    const cases = wanted.length > 0 ? CASES.filter((c) => wanted.includes(c.name)) : CASES.filter((c) => !optional.includes(c.name));
    const h = new SparkHarness(version, installSpark(version), "spark-bench-decommission");
    const results: Array<{ c: Case; samples: Sample[] }> = [];
    let ok = false;
    try {
        const master = await h.startMaster("master", { tini: true });
        await waitFor("master", 60000, async () => ((await h.masterJson(master)).status === "ALIVE" ? true : undefined));
        for (const c of cases) {
            const samples: Sample[] = [];
            // Decommissioning with a job: BENCH_RUNS; the other job cases are controls: one run.
            const n = c.job ? (c.name === "decommission-job" || c.name === "decommission-busy" ? runs : 1) : runs + 1;
            for (let i = 1; i <= n; i++) {
                const t = Date.now();
                const s = c.job ? await runJob(h, master, c, i) : await runIdle(h, master, c, i);
                samples.push(s);
                process.stderr.write(`[bench] ${c.name} #${i}: ${JSON.stringify(s)} (${((Date.now() - t) / 1000).toFixed(1)} s)\n`);
            }
            results.push({ c, samples });
        }
        ok = true;
    } finally {
        await h.stopAll(!ok);
    }

    const rows = [
        [
            "case",
            "runs",
            "SIGTERM -> exit (s)",
            "exit",
            "job right",
            "recomputed records: cached / map (/ gated map)",
            "failed tasks",
            "retried stages",
        ],
        ...results.map(({ c, samples }) => {
            const secs = samples.map((s) => s.exitSeconds);
            const sum = (f: (s: Sample) => number | undefined) => samples.map(f).join("/");
            return [
                c.what,
                String(samples.length),
                spread(secs),
                [...new Set(samples.map((s) => s.exit))].join(","),
                c.job ? samples.map((s) => (s.jobOk ? "yes" : "NO")).join("/") : "-",
                c.job
                    ? samples
                          .map((s) => [s.recomputedSource, s.recomputedMap, ...(c.busy ? [s.recomputedBusy] : [])].join(" / "))
                          .join(", ")
                    : "-",
                c.job ? sum((s) => s.failedTasks) : "-",
                c.job ? sum((s) => s.retriedStages) : "-",
            ];
        }),
    ];
    console.log(`\nSpark ${version}, worker SIGTERM -> exit, ${os.cpus().length} cores; median (min-max); job columns per run`);
    printTable(rows);
}

main().catch((err) => {
    console.error(err);
    process.exit(1);
});
