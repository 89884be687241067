// Spark RPC authentication as the image turns it on (SPARK_AUTH_SECRET_FILE, a file mounted
// from a Kubernetes Secret), and a worker that decommissions on SIGTERM.
import * as assert from "node:assert/strict";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { commandLines, JOBS_DIR, MasterHandle, SparkHarness, sparkSuite, sparkVersions, waitFor, WorkerHandle } from "../../tooling/spark";

for (const version of sparkVersions()) {
    describe(`Spark ${version} with RPC authentication (SPARK_AUTH_SECRET_FILE)`, function () {
        let h: SparkHarness;
        let master: MasterHandle;
        let worker: WorkerHandle;
        let secret: string;
        let secretFile: string;

        sparkSuite(version, "spark-auth", async (harness) => {
            h = harness;
            secret = crypto.randomBytes(24).toString("hex");
            secretFile = path.join(h.dir, "auth-secret");
            // As Kubernetes mounts a Secret key: the value and (here) a trailing newline.
            fs.writeFileSync(secretFile, `${secret}\n`, { mode: 0o600 });
            const auth = { SPARK_AUTH_SECRET_FILE: secretFile };
            master = await h.startMaster("master", { tini: true, env: auth });
            worker = await h.startWorker(master, "worker-1", {
                tini: true,
                env: { ...auth, SPARK_WORKER_DECOMMISSION_TIMEOUT: "30" },
            });
            await h.waitAliveWorkers(master, 1);
        });

        it("runs master and worker with authentication on and the secret on no command line", function () {
            for (const proc of [master.proc, worker.proc]) {
                assert.match(proc.output(), /SecurityManager: .*authentication enabled/);
                const cmds = commandLines(proc.pid);
                assert.ok(
                    cmds.some((c) => c.includes("spark.authenticate=true")),
                    `no JVM with auth in ${proc.name}`,
                );
                for (const c of cmds) assert.ok(!c.includes(secret), `secret visible in ${proc.name}: ${c.slice(0, 200)}`);
            }
        });

        // A refused driver retries registration for a minute before it gives up; seeing the
        // master turn its handshake down (and no application registered) is enough.
        async function assertRefused(name: string, env: Record<string, string>, pattern: RegExp) {
            const client = h.start(name, ["submit", "--conf", "spark.ui.enabled=false", path.join(JOBS_DIR, "jobs.py"), "talk"], {
                env: { SPARK_MASTER_URL: master.url, ...env },
            });
            try {
                await waitFor(`${name} to be refused`, 90000, () => {
                    if (pattern.test(client.output())) return true;
                    if (!client.running) throw new Error(`${name} exited ${JSON.stringify(client.status)} without the expected error`);
                    return undefined;
                });
                assert.doesNotMatch(client.output(), /TALK_COUNT=/);
                const json = await h.masterJson(master);
                assert.deepEqual([...json.activeapps, ...json.completedapps], [], "an application got registered");
            } finally {
                await client.stop();
            }
        }

        it("refuses a client without the secret", async function () {
            this.timeout(120000);
            await assertRefused("client-no-secret", {}, /Expected SaslMessage|SASL/);
        });

        it("refuses a client with a wrong secret", async function () {
            this.timeout(120000);
            const wrong = path.join(h.dir, "wrong-secret");
            fs.writeFileSync(wrong, "not-the-secret", { mode: 0o600 });
            await assertRefused("client-wrong-secret", { SPARK_AUTH_SECRET_FILE: wrong }, /SaslException|Mismatched response/);
        });

        it("runs the job for a client given the secret file, and removes its private conf copy", async function () {
            this.timeout(240000);
            const tmp = path.join(h.dir, "client-tmp");
            fs.mkdirSync(tmp);
            const client = h.start(
                "client-with-secret",
                ["submit", "--conf", "spark.ui.enabled=false", path.join(JOBS_DIR, "jobs.py"), "talk"],
                {
                    env: { SPARK_MASTER_URL: master.url, SPARK_AUTH_SECRET_FILE: secretFile, TMPDIR: tmp },
                },
            );
            const status = await client.waitExit(200000);
            assert.deepEqual(status, { code: 0, signal: null }, "spark-submit exit status");
            assert.match(client.output(), /^TALK_COUNT=4$/m);
            assert.deepEqual(fs.readdirSync(tmp), [], "the conf copy holding the secret was left behind");
            const json = await h.masterJson(master);
            assert.equal(json.completedapps.length, 1);
        });

        it("decommissions a worker on SIGTERM (SPARK_WORKER_DECOMMISSION_TIMEOUT) and then stops it", async function () {
            this.timeout(60000);
            const t0 = Date.now();
            worker.proc.signal("SIGTERM");
            const st = await worker.proc.waitExit(20000);
            assert.ok(st !== undefined, "worker still running 20 s after SIGTERM");
            assert.ok(st.code === 0 || st.code === 143, `exit ${JSON.stringify(st)}`);
            const log = worker.proc.output();
            assert.match(log, /SIGTERM: decommissioning the worker \(SIGPWR\)/);
            // Spark's own words: the worker handled SIGPWR, then stopped on SIGTERM.
            assert.match(log, /Decommission worker worker-/);
            assert.match(log, /RECEIVED SIGNAL TERM/);
            assert.ok(Date.now() - t0 < 20000);
            await waitFor("master to drop the decommissioned worker", 15000, async () => {
                const json = await h.masterJson(master);
                return json.workers.every((w) => w.state !== "ALIVE") ? true : undefined;
            });
        });
    });
}
