// Graceful scale-down (issue 9) on a real Spark: a worker removed while an application
// holds cached and shuffle data on it, and runs a task there, decommissions first, and the
// application loses no work. Per Spark version: master + two workers (1 core, 1g) through
// tini and the entrypoint with SPARK_WORKER_DECOMMISSION_TIMEOUT=60, and
// jobs/decommission.py in `busy` mode: it caches an RDD and shuffles it on both executors,
// then starts a second shuffle whose map tasks wait for a go file, so each executor is in
// the middle of a task. The test SIGTERMs one worker's tini (the kubelet's path), checks
// that the worker waits for its running task, lets the tasks finish, waits for the worker
// to leave by itself, and checks the job's answers, its accumulators (nothing computed
// twice) and the driver's event log (every task succeeded, no stage retried, the cached
// blocks and the shuffle files of the removed executor now on the other one).
//
// The workers use different loopback addresses (127.0.0.1, 127.0.0.2), as pods have
// different IPs: a driver told that a whole worker host is going away forgets every
// shuffle output on that host, which on one shared address would include the surviving
// executor's and the migrated ones (tried: the shuffle's map side then runs again).
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import {
    eventField as field,
    sparkSuite,
    JOBS_DIR,
    MasterHandle,
    printedValue as kv,
    readEventLog,
    sleep,
    SparkHarness,
    sparkVersions,
    waitFor,
    WorkerHandle,
} from "../../tooling/spark";

const DECOMMISSION_TIMEOUT_S = 60;
// jobs/decommission.py: records and partitions of the cached RDD, reduce partitions.
const N = 20000;
const PARTITIONS = 8;
const REDUCERS = 4;
const VICTIM_HOST = "127.0.0.2";

for (const version of sparkVersions()) {
    describe(`Spark ${version}: a SIGTERMed worker decommissions without losing work`, function () {
        let h: SparkHarness;
        let master: MasterHandle;
        let survivor: WorkerHandle;
        let victim: WorkerHandle;

        sparkSuite(
            version,
            "spark-decommission",
            async (harness) => {
                h = harness;
                master = await h.startMaster("master", { tini: true });
                const env = { SPARK_WORKER_DECOMMISSION_TIMEOUT: String(DECOMMISSION_TIMEOUT_S) };
                survivor = await h.startWorker(master, "worker-1", { tini: true, env, host: "127.0.0.1" });
                victim = await h.startWorker(master, "worker-2", { tini: true, env, host: VICTIM_HOST });
                await h.waitAliveWorkers(master, 2);
            },
            60,
        );

        it("finishes a job with cached, shuffled and running work on the removed worker: nothing lost or rerun", async function () {
            this.timeout(300000);
            const eventDir = path.join(h.dir, "events");
            fs.mkdirSync(eventDir);
            const readyFile = path.join(h.dir, "job.ready");
            const goFile = path.join(h.dir, "job.go");
            const [victimEntry] = await h.workerEntry(master, victim);
            assert.equal(victimEntry?.state, "ALIVE");

            // The application's decommissioning settings (spark.decommission.enabled,
            // spark.storage.decommission.*) come from the image conf through SPARK_CONF_DIR,
            // as for every client that uses the image.
            const driverArgs = [
                "submit",
                ...["spark.ui.enabled=false", "spark.eventLog.enabled=true", `spark.eventLog.dir=file://${eventDir}`]
                    .concat(["spark.eventLog.compress=false", "spark.eventLog.logBlockUpdates.enabled=true"])
                    .flatMap((c) => ["--conf", c]),
                "--executor-memory",
                "512m",
                path.join(JOBS_DIR, "decommission.py"),
                readyFile,
                goFile,
                "2",
                "busy",
            ];
            const driver = h.start("submit-decommission", driverArgs, { env: { SPARK_MASTER_URL: master.url } });

            await waitFor("the job's cache and shuffle, then a task running on each executor", 180000, () => {
                h.assertRunning(driver);
                const running = fs.existsSync(`${readyFile}.running`) ? fs.readdirSync(`${readyFile}.running`) : [];
                return running.length >= 2 || undefined;
            });
            const out0 = driver.output();
            assert.equal(kv(out0, "BEFORE_OK"), "True");
            assert.equal(kv(out0, "BEFORE_COMPUTED"), String(N));
            assert.equal(kv(out0, "BEFORE_MAPPED"), String(N));

            // SIGTERM to tini, which hands it to the entrypoint shell.
            const t0 = Date.now();
            victim.proc.signal("SIGTERM");
            const seen = await waitFor(
                "the master to mark the worker DECOMMISSIONED",
                20000,
                async () => {
                    const json = await h.masterJson(master);
                    const w = json.workers.find((x) => x.id === victimEntry.id);
                    return w !== undefined && w.state !== "ALIVE" ? w.state : undefined;
                },
                100,
            );
            assert.equal(seen, "DECOMMISSIONED");
            // Its executor is in the middle of a task, which decommissioning lets finish.
            await sleep(Math.max(0, t0 + 3000 - Date.now()));
            assert.ok(victim.proc.running, "the worker stopped while its executor was running a task");
            fs.writeFileSync(goFile, "");

            const status = await victim.proc.waitExit((DECOMMISSION_TIMEOUT_S + 20) * 1000);
            const exitSeconds = (Date.now() - t0) / 1000;
            assert.ok(status !== undefined, `worker still running ${DECOMMISSION_TIMEOUT_S + 20} s after SIGTERM`);
            process.stderr.write(
                `[decommission ${version}] worker exited ${exitSeconds.toFixed(1)} s after SIGTERM (${JSON.stringify(status)})\n`,
            );
            assert.ok(status.code === 143 || status.code === 0, `worker exit ${JSON.stringify(status)}`);
            assert.ok(
                exitSeconds < DECOMMISSION_TIMEOUT_S - 10,
                `the worker exited only after ${exitSeconds.toFixed(1)} s: the timeout, not its executor leaving, stopped it`,
            );
            const wlog = victim.proc.output();
            assert.match(wlog, /SIGTERM: decommissioning the worker \(SIGPWR\)/);
            assert.match(wlog, /Decommission worker/); // the worker JVM's SIGPWR handler
            assert.match(wlog, /decommissioning done or timed out; stopping the worker/);
            // Its executor left by itself, with exit code 0 once its blocks had moved (one the
            // worker stops exits 143). The worker may log that only after its own SIGTERM: the
            // entrypoint sees the process gone first.
            assert.match(wlog, /Executor \S+ finished with state EXITED message Command exited with code 0/);

            const afterExit = await h.masterJson(master);
            const gone = afterExit.workers.find((x) => x.id === victimEntry.id);
            assert.ok(gone === undefined || ["DECOMMISSIONED", "DEAD"].includes(gone.state), `victim is ${gone?.state}`);
            assert.match(master.proc.output(), new RegExp(`Decommissioning worker ${victimEntry.id}`));
            const [kept] = await h.workerEntry(master, survivor);
            assert.equal(kept?.state, "ALIVE", "the other worker");

            // The application is still up: the executor left because its decommissioning was
            // done, not because the application ended. Now the job reads its data again.
            h.assertRunning(driver);
            fs.writeFileSync(`${goFile}.after`, "");
            const st = await driver.waitExit(120000);
            const out = driver.output();
            assert.deepEqual(st, { code: 0, signal: null }, "spark-submit exit status");
            assert.equal(kv(out, "BUSY_OK"), "True", "result of the shuffle running during the decommission");
            assert.equal(kv(out, "AFTER_OK"), "True", "reduceByKey result after the decommission");
            assert.equal(kv(out, "AFTER_TOTAL"), kv(out, "EXPECTED_TOTAL"));
            assert.equal(kv(out, "AFTER_COUNT"), String(N));
            // Nothing computed twice: no cached partition, no shuffle map output lost, no
            // task of the running stage redone.
            assert.equal(kv(out, "AFTER_COMPUTED"), String(N), "cached partitions recomputed");
            assert.equal(kv(out, "AFTER_MAPPED"), String(N), "first shuffle's map side recomputed");
            assert.equal(kv(out, "BUSY_MAPPED"), String(N), "running shuffle's map side recomputed");
            assert.equal(kv(out, "AFTER_EXECUTORS"), "1");

            // The driver's own record.
            const events = readEventLog(eventDir, kv(out, "APP_ID") as string);
            const execHost = new Map<string, string>();
            for (const e of events.filter((x) => x.Event === "SparkListenerExecutorAdded")) {
                execHost.set(field(e, "Executor ID"), field(e, "Executor Info", "Host"));
            }
            const victimExecs = [...execHost].filter(([, host]) => host === VICTIM_HOST).map(([id]) => id);
            const survivorExecs = [...execHost].filter(([, host]) => host !== VICTIM_HOST).map(([id]) => id);
            assert.equal(victimExecs.length, 1, `executors: ${JSON.stringify([...execHost])}`);
            assert.equal(survivorExecs.length, 1, `executors: ${JSON.stringify([...execHost])}`);
            const [gonerExec, keptExec] = [victimExecs[0], survivorExecs[0]];

            const taskEnds = events.filter((x) => x.Event === "SparkListenerTaskEnd");
            const notOk = taskEnds.filter((e) => field(e, "Task End Reason", "Reason") !== "Success");
            assert.deepEqual(
                notOk.map((e) => field(e, "Task End Reason")),
                [],
                "tasks that did not succeed",
            );
            const retried = events.filter(
                (x) => x.Event === "SparkListenerStageSubmitted" && field<number>(x, "Stage Info", "Stage Attempt ID") !== 0,
            );
            assert.equal(retried.length, 0, "stage attempts after the first");
            // Two shuffles of PARTITIONS map tasks each; none ran twice (a lost output would be
            // recomputed by a new ShuffleMapTask, in a new stage of a later job).
            const mapTasks = taskEnds.filter((e) => field(e, "Task Type") === "ShuffleMapTask");
            assert.equal(mapTasks.length, 2 * PARTITIONS, "shuffle map tasks");
            // Each of the job's 8 actions ran PARTITIONS or REDUCERS tasks exactly once.
            assert.equal(taskEnds.length, 5 * PARTITIONS + 3 * REDUCERS, "tasks");
            const victimMapTasks = mapTasks.filter((e) => field(e, "Task Info", "Executor ID") === gonerExec);
            assert.ok(
                victimMapTasks.length >= 2,
                `the removed worker's executor wrote ${victimMapTasks.length} map outputs (want one per shuffle at least)`,
            );

            const removed = events.filter((x) => x.Event === "SparkListenerExecutorRemoved");
            // Removed once as decommissioned, and again when its worker disconnects.
            assert.deepEqual([...new Set(removed.map((e) => field(e, "Executor ID")))], [gonerExec]);
            assert.match(field<string>(removed[0], "Removed Reason"), /decommission/i);
            assert.match(out, new RegExp(`Executor ${gonerExec} on ${VICTIM_HOST.replace(/\./g, "\\.")} is decommissioned after`));

            // Blocks the executor had, and where they went (spark.eventLog.logBlockUpdates).
            const updates = events
                .filter((x) => x.Event === "SparkListenerBlockUpdated")
                .map((e) => ({
                    exec: field<string>(e, "Block Updated Info", "Block Manager ID", "Executor ID"),
                    block: field<string>(e, "Block Updated Info", "Block ID"),
                    size: field<number>(e, "Block Updated Info", "Memory Size") + field<number>(e, "Block Updated Info", "Disk Size"),
                }))
                .filter((u) => u.size > 0);
            const rddOn = (exec: string) =>
                new Set(updates.filter((u) => u.exec === exec && u.block.startsWith("rdd_")).map((u) => u.block));
            const [rddGone, rddKept] = [rddOn(gonerExec), rddOn(keptExec)];
            assert.ok(rddGone.size > 0, "no cached block on the removed worker's executor");
            for (const b of rddGone) assert.ok(rddKept.has(b), `cached block ${b} not moved to the other executor`);
            assert.equal(rddKept.size, PARTITIONS, "cached partitions on the other executor");
            // Shuffle files: map output id = task id; both shuffles' files (including the
            // one written by the task running at SIGTERM) arrive on the other executor.
            const shuffleKept = new Set(updates.filter((u) => u.exec === keptExec).map((u) => u.block));
            for (const t of victimMapTasks) {
                const tid = field<number>(t, "Task Info", "Task ID");
                const data = [...shuffleKept].find((b) => new RegExp(`^shuffle_\\d+_${tid}_0\\.data$`).test(b));
                assert.ok(data !== undefined, `shuffle output of task ${tid} not moved to the other executor`);
            }
            process.stderr.write(
                `[decommission ${version}] moved ${rddGone.size} cached blocks and ${victimMapTasks.length} map outputs; ` +
                    `${taskEnds.length} tasks, all successful\n`,
            );
        });
    });
}
