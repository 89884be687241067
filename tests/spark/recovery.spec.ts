// Master recovery (issue 20, part 1) on a real Spark: a master started through the
// entrypoint with SPARK_RECOVERY_DIR keeps its workers and applications in that directory
// (spark.deploy.recoveryMode=FILESYSTEM). The test SIGKILLs it while a client-mode job runs
// (a pod deleted with no grace, a node lost) and starts a new master on the same address and
// directory, as the master's Deployment does with its claim: the new master must take the
// worker and the application back, and the job must finish with the right answer; a driver
// idle across such a restart must run its next job. Then the same kill without the directory, which loses the application: the check above can fail.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import {
    JOBS_DIR,
    MasterHandle,
    WorkerHandle,
    ManagedProcess,
    printedValue as kv,
    sleep,
    SparkHarness,
    sparkSuite,
    sparkVersions,
    waitFor,
} from "../../tooling/spark";

// jobs.py slow: TASKS tasks of SECONDS each on one 1-core worker run one after the other.
const TASKS = 10;
const SECONDS = 2;
const SUM = Array.from({ length: TASKS }, (_, i) => i * i).reduce((a, b) => a + b, 0);

for (const version of sparkVersions()) {
    describe(`Spark ${version}: a master restarted on its recovery directory (SPARK_RECOVERY_DIR)`, function () {
        let h: SparkHarness;
        let master: MasterHandle;
        let worker: WorkerHandle;
        let recoveryDir: string;

        const masterEnv = () => ({ SPARK_RECOVERY_DIR: recoveryDir });

        sparkSuite(version, "spark-recovery", async (harness) => {
            h = harness;
            // Not made here: the entrypoint makes the per-version directory under the volume.
            fs.mkdirSync(path.join(h.dir, "recovery"));
            recoveryDir = path.join(h.dir, "recovery", `spark-${version}`);
            master = await h.startMaster("master", { tini: true, env: masterEnv() });
            worker = await h.startWorker(master, "worker", { tini: true });
            await h.waitAliveWorkers(master, 1);
        });

        /** Starts jobs.py slow and waits until the master lists its application RUNNING. */
        async function startSlowJob(name: string): Promise<{ driver: ManagedProcess; appId: string }> {
            const driver = h.start(
                name,
                [
                    "submit",
                    "--conf",
                    "spark.ui.enabled=false",
                    "--executor-memory",
                    "512m",
                    path.join(JOBS_DIR, "jobs.py"),
                    "slow",
                    String(TASKS),
                    String(SECONDS),
                ],
                { env: { SPARK_MASTER_URL: master.url } },
            );
            const appId = await waitFor(`${name}'s application RUNNING on the master`, 120000, async () => {
                h.assertRunning(driver);
                const id = kv(driver.output(), "APP_ID");
                const json = await h.masterJson(master);
                return id !== undefined && json.activeapps.some((a) => a.id === id && a.state === "RUNNING") ? id : undefined;
            });
            // Into the slow job's tasks (the first job, TALK_COUNT, is done by then).
            await waitFor(`${name}'s first job done`, 60000, () => kv(driver.output(), "TALK_COUNT") !== undefined || undefined);
            await sleep(3000);
            return { driver, appId };
        }

        /** SIGKILLs the master's whole tree and starts a new one on the same ports. */
        async function killAndRestartMaster(name: string, env: Record<string, string>): Promise<number> {
            master.proc.killTree("SIGKILL");
            assert.ok((await master.proc.waitExit(10000)) !== undefined, "the master survived SIGKILL");
            const killedAt = Date.now();
            master = h.startMasterOn(master.port, master.webPort, name, { tini: true, env });
            return killedAt;
        }

        it("takes the worker and the running application back after a SIGKILL; the job finishes with the right answer", async function () {
            this.timeout(300000);
            const { driver, appId } = await startSlowJob("submit-recovered");
            // What the master wrote: one file per registered worker and application.
            const state = fs.readdirSync(recoveryDir);
            assert.ok(state.includes(`app_${appId}`), `no app_${appId} in ${recoveryDir}: ${state.join(", ")}`);
            assert.ok(
                state.some((f) => f.startsWith("worker_")),
                `no worker_ file in ${recoveryDir}: ${state.join(", ")}`,
            );
            const killedAt = await killAndRestartMaster("master-recovered", masterEnv());

            const back = await waitFor(
                "the application RUNNING again on the new master",
                60000,
                async () => {
                    h.assertRunning(master.proc);
                    const json = await h.masterJson(master).catch(() => undefined);
                    return json?.status === "ALIVE" && json.activeapps.some((a) => a.id === appId && a.state === "RUNNING")
                        ? json
                        : undefined;
                },
                200,
            );
            const seconds = (Date.now() - killedAt) / 1000;
            process.stderr.write(`[recovery ${version}] application ${appId} RUNNING again ${seconds.toFixed(1)} s after the kill\n`);
            assert.equal(back.workers.filter((w) => w.state === "ALIVE").length, 1, "the worker is not back ALIVE");
            assert.match(master.proc.output(), /Recovery complete/);

            const status = await driver.waitExit(120000);
            const out = driver.output();
            assert.deepEqual(status, { code: 0, signal: null }, `driver: ${JSON.stringify(status)}\n${out.slice(-3000)}`);
            assert.equal(kv(out, "SLOW_SUM"), String(SUM));
            // A job after the restart: the driver still has its executor, through the new master.
            assert.equal(kv(out, "AFTER_COUNT"), "100");
            const json = await h.masterJson(master);
            assert.ok(
                json.completedapps.some((a) => a.id === appId && a.state === "FINISHED"),
                `${appId} not FINISHED in ${JSON.stringify(json.completedapps)}`,
            );
        });

        it("a driver idle across a master restart (executors kept, no job running) runs its next job through the new master", async function () {
            this.timeout(300000);
            const flag = path.join(h.dir, "idle-go");
            const driver = h.start(
                "submit-idle",
                ["submit", "--conf", "spark.ui.enabled=false", "--executor-memory", "512m", path.join(JOBS_DIR, "jobs.py"), "idle", flag],
                { env: { SPARK_MASTER_URL: master.url } },
            );
            const appId = await waitFor("the idle driver's application RUNNING and idle", 120000, async () => {
                h.assertRunning(driver);
                const id = kv(driver.output(), "APP_ID");
                const json = await h.masterJson(master);
                return id !== undefined &&
                    kv(driver.output(), "IDLE") === "waiting" &&
                    json.activeapps.some((a) => a.id === id && a.state === "RUNNING")
                    ? id
                    : undefined;
            });
            const killedAt = await killAndRestartMaster("master-idle", masterEnv());
            await waitFor(
                "the idle application RUNNING again on the new master",
                60000,
                async () => {
                    h.assertRunning(master.proc);
                    const json = await h.masterJson(master).catch(() => undefined);
                    return json?.status === "ALIVE" && json.activeapps.some((a) => a.id === appId && a.state === "RUNNING")
                        ? true
                        : undefined;
                },
                200,
            );
            process.stderr.write(
                `[recovery ${version}] idle application ${appId} RUNNING again ${((Date.now() - killedAt) / 1000).toFixed(1)} s after the kill\n`,
            );
            // The driver learns of the new master (MasterChanged) while idle; its next job runs.
            fs.writeFileSync(flag, "");
            const status = await driver.waitExit(120000);
            const out = driver.output();
            assert.deepEqual(status, { code: 0, signal: null }, `driver: ${JSON.stringify(status)}\n${out.slice(-3000)}`);
            assert.equal(kv(out, "IDLE_AFTER_COUNT"), "1000");
            const json = await h.masterJson(master);
            assert.ok(
                json.completedapps.some((a) => a.id === appId && a.state === "FINISHED"),
                `${appId} not FINISHED in ${JSON.stringify(json.completedapps)}`,
            );
        });

        // A control of the check, not of the Spark line: once, on the first line tested.
        (version === sparkVersions()[0] ? it : it.skip)(
            "without SPARK_RECOVERY_DIR, a restarted master has forgotten the application (the check above can fail)",
            async function () {
                this.timeout(300000);
                // A cluster of its own, with no recovery directory from the start: the master the test
                // above recovered may still hold that application's executor bookkeeping (under load
                // Spark 4.3.0 asserted "executor 0 state transfer from RUNNING to RUNNING is illegal"
                // there, and its worker's core never came free).
                master.proc.killTree("SIGKILL");
                worker.proc.killTree("SIGKILL");
                await Promise.all([master.proc.waitExit(10000), worker.proc.waitExit(10000)]);
                master = await h.startMaster("master-plain", { tini: true });
                worker = await h.startWorker(master, "worker-plain", { tini: true });
                await h.waitAliveWorkers(master, 1);
                const { driver, appId } = await startSlowJob("submit-forgotten");
                await killAndRestartMaster("master-forgetful", {});
                // The worker registers again by itself; the application does not.
                await h.waitAliveWorkers(master, 1, 120000);
                const deadline = Date.now() + 10000;
                while (Date.now() < deadline) {
                    const json = await h.masterJson(master);
                    assert.ok(
                        !json.activeapps.some((a) => a.id === appId),
                        `${appId} is back without a recovery directory: ${JSON.stringify(json.activeapps)}`,
                    );
                    await sleep(500);
                }
                assert.doesNotMatch(master.proc.output(), /Recovery complete/);
                driver.killTree("SIGKILL");
            },
        );
    });
}
