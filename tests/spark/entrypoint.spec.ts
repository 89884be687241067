// The entrypoint's own contract: roles, pass-through, and configuration errors (exit 2
// with a message naming the problem). No JVM is started here, only the script.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { freePorts, getText, installSpark, SparkHarness, sparkVersions, waitFor } from "../../tooling/spark";

describe("entrypoint.sh contract", function () {
    let h: SparkHarness;

    before(function () {
        this.timeout(300000);
        const version = sparkVersions()[0];
        h = new SparkHarness(version, installSpark(version), "spark-entrypoint");
    });

    after(async function () {
        await h?.stopAll();
    });

    function run(args: string[], env: Record<string, string> = {}) {
        const r = h.runSync(args, env);
        return { status: r.status, stdout: r.stdout, stderr: r.stderr };
    }

    function assertUsageError(r: ReturnType<typeof run>, ...fragments: (string | RegExp)[]) {
        assert.equal(r.status, 2, `exit status; stderr: ${r.stderr}`);
        for (const f of fragments) {
            if (typeof f === "string") assert.ok(r.stderr.includes(f), `stderr lacks "${f}": ${r.stderr}`);
            else assert.match(r.stderr, f);
        }
    }

    it("rejects an unknown role with exit 2, naming it and the allowed roles", function () {
        assertUsageError(run(["mastr"]), "unknown role 'mastr'", "master, worker, history, submit");
    });

    it("rejects a missing role with exit 2 and prints the usage", function () {
        assertUsageError(run([]), "no role given", "Usage: entrypoint.sh ROLE");
    });

    it("rejects a worker without SPARK_MASTER_URL with exit 2", function () {
        assertUsageError(run(["worker"]), "SPARK_MASTER_URL is not set", "spark://");
    });

    it("rejects a malformed SPARK_MASTER_URL with exit 2", function () {
        assertUsageError(run(["worker"], { SPARK_MASTER_URL: "http://master:7077" }), "SPARK_MASTER_URL='http://master:7077'");
    });

    for (const [role, name, value, extra] of [
        ["master", "SPARK_MASTER_PORT", "70000", {}],
        ["master", "SPARK_MASTER_PORT", "abc", {}],
        ["master", "SPARK_MASTER_WEBUI_PORT", "-1", {}],
        ["worker", "SPARK_WORKER_PORT", "8o81", { SPARK_MASTER_URL: "spark://m:7077" }],
        ["worker", "SPARK_WORKER_WEBUI_PORT", "65536", { SPARK_MASTER_URL: "spark://m:7077" }],
        ["history", "SPARK_HISTORY_UI_PORT", "0", {}],
    ] as const) {
        it(`rejects ${name}=${value} (${role}) with exit 2 and the allowed range`, function () {
            assertUsageError(run([role], { ...extra, [name]: value }), `${name}='${value}'`, "from");
        });
    }

    it("rejects SPARK_WORKER_CORES=0 and SPARK_WORKER_MEMORY=lots with exit 2", function () {
        const url = { SPARK_MASTER_URL: "spark://m:7077" };
        assertUsageError(run(["worker"], { ...url, SPARK_WORKER_CORES: "0" }), "SPARK_WORKER_CORES='0'", "1 to");
        assertUsageError(run(["worker"], { ...url, SPARK_WORKER_MEMORY: "lots" }), "SPARK_WORKER_MEMORY='lots'", "1g");
    });

    it("rejects an unreadable SPARK_AUTH_SECRET_FILE and an empty one with exit 2", function () {
        assertUsageError(run(["master"], { SPARK_AUTH_SECRET_FILE: "/nonexistent/secret" }), "not a readable file");
        const empty = path.join(h.dir, "empty-secret");
        fs.writeFileSync(empty, "");
        assertUsageError(run(["master"], { SPARK_AUTH_SECRET_FILE: empty }), "is empty");
    });

    it("rejects a SPARK_EVENT_LOG_DIR that is relative or missing, for history and submit, with exit 2", function () {
        for (const role of ["history", "submit"]) {
            assertUsageError(run([role], { SPARK_EVENT_LOG_DIR: "events" }), "SPARK_EVENT_LOG_DIR='events'", "absolute path");
            assertUsageError(run([role], { SPARK_EVENT_LOG_DIR: "/nonexistent/events" }), "not an existing directory");
        }
    });

    it("rejects a master SPARK_RECOVERY_DIR that is relative, has spaces, or cannot be made, with exit 2", function () {
        const file = path.join(h.dir, "not-a-dir");
        fs.writeFileSync(file, "");
        assertUsageError(run(["master"], { SPARK_RECOVERY_DIR: "recovery" }), "SPARK_RECOVERY_DIR='recovery'", "absolute path");
        assertUsageError(run(["master"], { SPARK_RECOVERY_DIR: "/tmp/two words" }), "absolute path without spaces");
        assertUsageError(run(["master"], { SPARK_RECOVERY_DIR: `${file}/spark-4.3.0` }), "cannot be made");
    });

    it("rejects a connect role without a usable token file, or with a bad cap or heap, with exit 2", function () {
        const m = { SPARK_MASTER_URL: "spark://m:7077" };
        const good = path.join(h.dir, "connect-token");
        fs.writeFileSync(good, "t0ken\n", { mode: 0o600 });
        const empty = path.join(h.dir, "connect-empty");
        fs.writeFileSync(empty, "\n", { mode: 0o600 });
        const spaced = path.join(h.dir, "connect-spaced");
        fs.writeFileSync(spaced, "two words\n", { mode: 0o600 });
        assertUsageError(run(["connect"]), "SPARK_MASTER_URL is not set");
        assertUsageError(run(["connect"], m), "SPARK_CONNECT_TOKEN_FILE is not set", "always");
        assertUsageError(run(["connect"], { ...m, SPARK_CONNECT_TOKEN_FILE: "/nonexistent/token" }), "is not a readable file");
        assertUsageError(run(["connect"], { ...m, SPARK_CONNECT_TOKEN_FILE: empty }), "is empty");
        assertUsageError(run(["connect"], { ...m, SPARK_CONNECT_TOKEN_FILE: spaced }), "whitespace or control characters");
        assertUsageError(
            run(["connect"], { ...m, SPARK_CONNECT_TOKEN_FILE: good, SPARK_CONNECT_MAX_CORES: "0" }),
            "SPARK_CONNECT_MAX_CORES='0'",
        );
        assertUsageError(
            run(["connect"], { ...m, SPARK_CONNECT_TOKEN_FILE: good, SPARK_CONNECT_DRIVER_MEMORY: "lots" }),
            "SPARK_CONNECT_DRIVER_MEMORY='lots'",
        );
        assertUsageError(
            run(["connect"], { ...m, SPARK_CONNECT_TOKEN_FILE: good, SPARK_CONNECT_EXECUTOR_MEMORY: "1 g" }),
            "SPARK_CONNECT_EXECUTOR_MEMORY='1 g'",
        );
        // The token itself is never echoed.
        for (const env of [{ SPARK_CONNECT_MAX_CORES: "0" }, { SPARK_CONNECT_DRIVER_MEMORY: "lots" }] as Record<string, string>[]) {
            const r = run(["connect"], { ...m, SPARK_CONNECT_TOKEN_FILE: good, ...env });
            assert.ok(!`${r.stdout}${r.stderr}`.includes("t0ken"), r.stderr);
        }
    });

    it("rejects a connect-tls role without distinct ports or a readable certificate and key, and a bad bind address, with exit 2", function () {
        const dir = path.join(h.dir, "connect-tls");
        fs.mkdirSync(dir, { recursive: true });
        fs.writeFileSync(path.join(dir, "tls.crt"), "-----BEGIN CERTIFICATE-----\n", { mode: 0o600 });
        const ports = { SPARK_CONNECT_TLS_PORT: "15002", SPARK_CONNECT_PORT: "15003" };
        assertUsageError(run(["connect-tls"], ports), "SPARK_CONNECT_TLS_DIR is not set", "tls.crt and tls.key");
        assertUsageError(
            run(["connect-tls"], { ...ports, SPARK_CONNECT_TLS_DIR: dir }),
            `SPARK_CONNECT_TLS_DIR='${dir}' has no readable tls.key`,
        );
        assertUsageError(
            run(["connect-tls"], { SPARK_CONNECT_TLS_PORT: "15003", SPARK_CONNECT_PORT: "15003", SPARK_CONNECT_TLS_DIR: dir }),
            "SPARK_CONNECT_TLS_PORT='15003' equals SPARK_CONNECT_PORT",
        );
        assertUsageError(
            run(["connect-tls"], { ...ports, SPARK_CONNECT_TLS_PORT: "99999", SPARK_CONNECT_TLS_DIR: dir }),
            "SPARK_CONNECT_TLS_PORT='99999'",
        );
        assertUsageError(
            run(["connect"], { SPARK_MASTER_URL: "spark://m:7077", SPARK_CONNECT_BIND_ADDRESS: "127.0.0.1; rm -rf /" }),
            "SPARK_CONNECT_BIND_ADDRESS='127.0.0.1; rm -rf /' is not valid",
        );
    });

    it("rejects a SPARK_HOME that is not a Spark distribution with exit 2", function () {
        assertUsageError(run(["master"], { SPARK_HOME: h.dir }), "is not a Spark distribution");
    });

    it("runs any other executable as is (docker run IMAGE bash ...)", function () {
        const r = run(["bash", "-c", 'echo "hello $1"', "_", "world"]);
        assert.equal(r.status, 0, r.stderr);
        assert.equal(r.stdout, "hello world\n");
    });

    it("runs the history server in the foreground for `history` and stops it on SIGTERM", async function () {
        this.timeout(90000);
        const [port] = await freePorts(1);
        const events = path.join(h.dir, "events");
        fs.mkdirSync(events);
        const proc = h.start("history", ["history"], { env: { SPARK_EVENT_LOG_DIR: events, SPARK_HISTORY_UI_PORT: String(port) } });
        try {
            const res = await waitFor("history server API", 60000, async () => {
                h.assertRunning(proc);
                const r = await getText(`http://127.0.0.1:${port}/api/v1/applications`);
                return r.status === 200 ? r : undefined;
            });
            assert.equal(res.body.trim(), "[ ]");
            proc.signal("SIGTERM");
            const st = await proc.waitExit(10000);
            assert.ok(st !== undefined && (st.code === 143 || st.code === 0), `exit ${JSON.stringify(st)}`);
        } catch (err) {
            h.printLogs();
            throw err;
        } finally {
            await proc.stop();
        }
    });

    it("prints its environment contract for `help`", function () {
        const r = run(["help"]);
        assert.equal(r.status, 0);
        for (const name of ["SPARK_MASTER_URL", "SPARK_WORKER_CORES", "SPARK_AUTH_SECRET_FILE"]) {
            assert.ok(r.stdout.includes(name), `help lacks ${name}`);
        }
    });
});
