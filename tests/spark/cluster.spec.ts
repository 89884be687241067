// A real standalone cluster per Spark version, started through the image's entrypoint
// (and tini, as in the image) on 127.0.0.1: registration, jobs, scaling, lost workers,
// master restart, metrics and SIGTERM. The tests share one cluster per version and run in
// order; each one states the cluster it expects and asserts on Spark's own reports.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import {
    freePorts,
    getJson,
    getText,
    sparkSuite,
    JOBS_DIR,
    MasterHandle,
    SparkHarness,
    sparkVersions,
    waitFor,
    WorkerHandle,
    WorkerJson,
} from "../../tooling/spark";

const LOST_WORKER_LIMIT_MS = 15000;

interface HistoryApp {
    id: string;
    attempts: { completed: boolean }[];
}

for (const version of sparkVersions()) {
    describe(`Spark ${version} standalone cluster through the entrypoint`, function () {
        let h: SparkHarness;
        let master: MasterHandle;
        const workers: Record<string, WorkerHandle> = {};
        const eventLogDir = () => path.join(h.dir, "event-logs");

        sparkSuite(version, "spark-cluster", async (harness) => {
            h = harness;
            if (h.tini === undefined) {
                process.stderr.write("[spark tests] tini not installed: processes start without it (apt-get install tini)\n");
            }
            master = await h.startMaster("master", { tini: true });
            workers.w1 = await h.startWorker(master, "worker-1", { tini: true });
            workers.w2 = await h.startWorker(master, "worker-2", { tini: true });
            await h.waitAliveWorkers(master, 2);
        });

        it("registers two ALIVE workers with 1 core and 1024 MB each", async function () {
            const json = await h.masterJson(master);
            assert.equal(json.status, "ALIVE");
            assert.equal(json.url, master.url);
            const alive = json.workers.filter((w) => w.state === "ALIVE");
            assert.equal(alive.length, 2);
            for (const w of alive) {
                assert.equal(w.cores, 1, `cores of ${w.id}`);
                assert.equal(w.memory, 1024, `memory of ${w.id}`);
            }
            const webPorts = alive.map((w) => Number(w.webuiaddress.split(":").pop())).sort();
            assert.deepEqual(webPorts, [workers.w1.webPort, workers.w2.webPort].sort());
        });

        // The readiness probe of the pods (entrypoint.sh ready, components/clusterSpec.ts):
        // more than a UI that answers.
        it("reports master and registered workers ready, and a worker whose master is gone not ready while its UI answers", async function () {
            this.timeout(120000);
            const ready = (role: string, env: Record<string, string>) => h.runSync(["ready", role], env);
            const m = ready("master", { SPARK_MASTER_WEBUI_PORT: String(master.webPort) });
            assert.equal(m.status, 0, `ready master: ${m.stderr}`);
            const w = ready("worker", { SPARK_WORKER_WEBUI_PORT: String(workers.w1.webPort) });
            assert.equal(w.status, 0, `ready worker: ${w.stderr}`);
            // Nothing listens there: no answer at all.
            const [closed] = await freePorts(1);
            const none = ready("worker", { SPARK_WORKER_WEBUI_PORT: String(closed) });
            assert.equal(none.status, 1);
            assert.match(none.stderr, /not ready: no 200 from http:\/\/127\.0\.0\.1:\d+\/json\//);
            // A worker that never reached a master: its UI answers, and it is not ready.
            const [deadMaster] = await freePorts(1);
            const lonely = await h.startWorker({ ...master, url: `spark://127.0.0.1:${deadMaster}` }, "worker-no-master");
            try {
                await waitFor("the lonely worker's UI", 60000, async () => {
                    h.assertRunning(lonely.proc);
                    return (await getText(`${lonely.webUrl}/json/`).catch(() => undefined))?.status === 200;
                });
                const r = ready("worker", { SPARK_WORKER_WEBUI_PORT: String(lonely.webPort) });
                assert.equal(r.status, 1, `a worker without a master reported ready: ${r.stdout}`);
                assert.match(r.stderr, /not ready: the worker is not registered with a master/);
            } finally {
                await lonely.proc.stop();
            }
            const bad = ready("driver", {});
            assert.equal(bad.status, 2);
            assert.match(bad.stderr, /ready needs the role to check: master, worker, history or connect; got 'driver'/);
        });

        it("serves Prometheus metrics at /metrics/prometheus on the master and the workers", async function () {
            const m = await getText(`${master.webUrl}/metrics/prometheus`);
            assert.equal(m.status, 200);
            assert.match(m.body, /^metrics_master_aliveWorkers_Value\{type="gauges"\} 2$/m);
            const w = await getText(`${workers.w1.webUrl}/metrics/prometheus`);
            assert.equal(w.status, 200);
            assert.match(w.body, /^metrics_worker_coresFree_Value\{type="gauges"\} 1$/m);
            assert.match(w.body, /^metrics_worker_memFree_MB_Value\{type="gauges"\} 1024$/m);
        });

        it("links every worker's UI through the master's reverse proxy (/proxy/<worker id>/) and serves it there", async function () {
            const page = await getText(`${master.webUrl}/`);
            assert.equal(page.status, 200);
            const state = JSON.parse((await getText(`${master.webUrl}/json/`)).body) as { workers: { id: string; host: string }[] };
            assert.equal(state.workers.length, 2);
            for (const w of state.workers) {
                assert.ok(page.body.includes(`href="/proxy/${w.id}"`), `the master page does not link ${w.id} through the proxy`);
                const proxied = await getText(`${master.webUrl}/proxy/${w.id}/`);
                assert.equal(proxied.status, 200, `/proxy/${w.id}/`);
                assert.match(proxied.body, new RegExp(`Spark Worker at ${w.host.replace(/\./g, "\\.")}:`));
                // Its own links (4.x: its log page, even idle) carry its proxy path, so they work through the master too.
                const logLinks = [...proxied.body.matchAll(/href="([^"]*logPage[^"]*)"/g)].map((m) => m[1]);
                assert.ok(
                    logLinks.every((l) => l.startsWith(`/proxy/${w.id}/`)),
                    `log links not under the proxy: ${logLinks.join(" ")}`,
                );
            }
        });

        // Both job tests read the output of one spark-submit (the talk's job, then the larger
        // one): a driver JVM costs ~15 s here.
        let jobOutput = "";
        let appId = "";

        it("runs the talk's job through the submit role: sc.parallelize([1,2,4,4]).count() == 4", async function () {
            this.timeout(240000);
            // As in a client pod that mounts the stack's event-log claim (eventLogClaimName).
            fs.mkdirSync(eventLogDir(), { recursive: true });
            const client = h.start(
                "submit-spread",
                ["submit", "--conf", "spark.ui.enabled=false", "--executor-memory", "512m", path.join(JOBS_DIR, "jobs.py"), "spread", "2"],
                { env: { SPARK_MASTER_URL: master.url, SPARK_EVENT_LOG_DIR: eventLogDir() } },
            );
            const status = await client.waitExit(200000);
            jobOutput = client.output();
            assert.deepEqual(status, { code: 0, signal: null }, "spark-submit exit status");
            appId = /^APP_ID=(\S+)$/m.exec(jobOutput)?.[1] ?? "";
            assert.match(appId, /^app-/);
            assert.match(jobOutput, /^TALK_COUNT=4$/m);
        });

        it("spreads a larger job over both workers", async function () {
            assert.notEqual(appId, "", "the job above did not run");
            const n = 200000n;
            const expected = ((n - 1n) * n * (2n * n - 1n)) / 6n; // sum of x^2 for x < n
            assert.match(jobOutput, new RegExp(`^SPREAD_SUM=${expected}$`, "m"));
            // Tasks report their executor's working directory, which lies in a worker's dir.
            const dirs = JSON.parse(/^SPREAD_DIRS=(.*)$/m.exec(jobOutput)?.[1] ?? "[]") as string[];
            for (const w of [workers.w1, workers.w2]) {
                assert.ok(
                    dirs.some((d) => d.startsWith(w.workDir + path.sep)),
                    `no task ran on ${w.name}: ${dirs}`,
                );
            }
            // And each worker itself reports an executor of this application.
            for (const w of [workers.w1, workers.w2]) {
                const state = await getJson<WorkerJson>(`${w.webUrl}/json/`);
                const execs = [...state.executors, ...state.finishedexecutors].filter((e) => e.appid === appId);
                assert.ok(execs.length >= 1, `${w.name} ran no executor of ${appId}`);
            }
            const json = await h.masterJson(master);
            assert.ok(
                json.completedapps.some((a) => a.id === appId && a.state === "FINISHED"),
                "app not FINISHED",
            );
        });

        it("shows the finished application in the History Server, read from the event log the submit role wrote", async function () {
            this.timeout(120000);
            assert.notEqual(appId, "", "the job above did not run");
            const [port] = await freePorts(1);
            // As the stack runs it (historyEnv in components/clusterSpec.ts), polling faster.
            const history = h.start("history", ["history"], {
                env: {
                    SPARK_EVENT_LOG_DIR: eventLogDir(),
                    SPARK_HISTORY_UI_PORT: String(port),
                    SPARK_HISTORY_OPTS: "-Dspark.history.fs.cleaner.enabled=true -Dspark.history.fs.update.interval=1s",
                },
            });
            try {
                const apps = await waitFor("the application in the History Server", 90000, async () => {
                    h.assertRunning(history);
                    const r = await getText(`http://127.0.0.1:${port}/api/v1/applications`, 10000).catch(() => undefined);
                    const list = r?.status === 200 ? (JSON.parse(r.body) as HistoryApp[]) : [];
                    return list.some((a) => a.id === appId) ? list : undefined;
                });
                const app = apps.find((a) => a.id === appId)!;
                assert.equal(app.attempts[0].completed, true);
                // The pods' readiness probe of the History Server.
                const ready = h.runSync(["ready", "history"], { SPARK_HISTORY_UI_PORT: String(port) });
                assert.equal(ready.status, 0, `ready history: ${ready.stderr}`);
                // A file (3.5) or, with rolling event logs (the 4.x default), a directory eventlog_v2_<app>.
                const logs = fs.readdirSync(eventLogDir());
                assert.ok(
                    logs.some((f) => f.includes(appId)),
                    `no event log named after ${appId}: ${logs.join(", ")}`,
                );
            } finally {
                await history.stop();
            }
        });

        it("registers a third worker when one is added", async function () {
            this.timeout(120000);
            workers.w3 = await h.startWorker(master, "worker-3", { tini: true });
            await h.waitAliveWorkers(master, 3);
            const entry = await h.workerEntry(master, workers.w3);
            assert.equal(entry.length, 1);
            assert.equal(entry[0].state, "ALIVE");
            assert.equal(entry[0].cores, 1);
        });

        it(`marks a SIGKILLed worker DEAD within ${LOST_WORKER_LIMIT_MS / 1000} s`, async function () {
            const victim = workers.w3;
            const [before] = await h.workerEntry(master, victim);
            assert.equal(before.state, "ALIVE");
            const t0 = Date.now();
            victim.proc.killTree("SIGKILL");
            const state = await waitFor(`${victim.name} no longer ALIVE`, LOST_WORKER_LIMIT_MS, async () => {
                const json = await h.masterJson(master);
                const w = json.workers.find((x) => x.id === before.id);
                return w === undefined ? "REMOVED" : w.state !== "ALIVE" ? w.state : undefined;
            });
            const elapsed = Date.now() - t0;
            assert.ok(["DEAD", "REMOVED"].includes(state), state);
            assert.ok(elapsed < LOST_WORKER_LIMIT_MS, `took ${elapsed} ms`);
            const json = await h.masterJson(master);
            assert.equal(json.workers.filter((w) => w.state === "ALIVE").length, 2);
        });

        it("has the workers register again with a restarted master", async function () {
            this.timeout(180000);
            const old = master;
            old.proc.signal("SIGTERM");
            const st = await old.proc.waitExit(15000);
            assert.ok(st !== undefined, "master did not stop on SIGTERM");
            // Same address, as a Kubernetes Service gives a recreated master pod.
            master = h.startMasterOn(old.port, old.webPort, "master-restarted", { tini: true });
            // Workers retry registration on their own (every 5-15 s at first).
            const alive = await h.waitAliveWorkers(master, 2, 120000);
            const ports = alive.map((w) => Number(w.webuiaddress.split(":").pop())).sort();
            assert.deepEqual(ports, [workers.w1.webPort, workers.w2.webPort].sort());
        });

        it(`drops a frozen worker (SIGSTOP: no heartbeats, connection kept) within ${LOST_WORKER_LIMIT_MS / 1000} s`, async function () {
            // Unlike SIGKILL, nothing closes the TCP connection: only spark.worker.timeout finds
            // this worker out, as with a node that vanished from the network.
            this.timeout(60000);
            const victim = workers.w2;
            const [entry] = await h.workerEntry(master, victim);
            assert.equal(entry.state, "ALIVE");
            const t0 = Date.now();
            victim.proc.killTree("SIGSTOP");
            try {
                await waitFor(`${victim.name} dropped by heartbeat timeout`, LOST_WORKER_LIMIT_MS, async () => {
                    const json = await h.masterJson(master);
                    const w = json.workers.find((x) => x.id === entry.id);
                    return w === undefined || w.state !== "ALIVE" ? true : undefined;
                });
                assert.ok(Date.now() - t0 < LOST_WORKER_LIMIT_MS);
                // The other worker must not have been dropped by mistake.
                const [other] = await h.workerEntry(master, workers.w1);
                assert.equal(other.state, "ALIVE");
            } finally {
                victim.proc.killTree("SIGKILL");
            }
        });

        it("stops master and worker on SIGTERM through tini within a few seconds (exit 0 or 143)", async function () {
            this.timeout(60000);
            for (const proc of [workers.w1.proc, master.proc]) {
                h.assertRunning(proc);
                const t0 = Date.now();
                proc.signal("SIGTERM");
                const st = await proc.waitExit(10000);
                assert.ok(st !== undefined, `${proc.name} still running 10 s after SIGTERM`);
                assert.ok(st.code === 0 || st.code === 143, `${proc.name} exit ${JSON.stringify(st)}`);
                assert.ok(Date.now() - t0 < 10000);
                assert.match(proc.output(), /RECEIVED SIGNAL TERM/);
            }
        });
    });
}
