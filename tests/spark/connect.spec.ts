// Spark Connect as the image runs it (`entrypoint.sh connect`): a server (a driver) on a real
// master + worker on loopback, reached by the pinned thin client (pyspark-client, no JVM) with
// the token; no token and a wrong token are refused; the token is on no command line and in
// no log line. As in the pod, the server listens on loopback only and the `connect-tls` role
// (images/spark/tls-proxy.py) terminates TLS in front of it with a certificate the stack's own
// generator made (components/x509.ts): a client with the token and the CA runs the job over TLS,
// a client trusting another CA is refused. Spark 3.5 has no server in its distribution: the role
// refuses it.
import * as assert from "node:assert/strict";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { generateServerTls } from "../../components/x509";
import {
    commandLines,
    freePorts,
    installConnectClient,
    installSpark,
    ManagedProcess,
    MasterHandle,
    runConnectClient,
    SparkHarness,
    sparkSuite,
    sparkVersions,
    waitFor,
} from "../../tooling/spark";

function hasConnectServer(sparkHome: string): boolean {
    return fs.readdirSync(path.join(sparkHome, "jars")).some((f) => f.startsWith("spark-connect_"));
}

/** The addresses (hex, as /proc/net/tcp{,6} writes them) that sockets listening on `port` are bound to. */
function listeningOn(port: number): string[] {
    const hexPort = port.toString(16).toUpperCase().padStart(4, "0");
    return ["/proc/net/tcp", "/proc/net/tcp6"].flatMap((f) =>
        fs
            .readFileSync(f, "utf8")
            .split("\n")
            .slice(1)
            .map((l) => l.trim().split(/\s+/))
            .filter((cols) => cols.length > 3 && cols[3] === "0A" && cols[1].endsWith(`:${hexPort}`))
            .map((cols) => cols[1].split(":")[0]),
    );
}

/** 127.0.0.1, ::ffff:127.0.0.1 or ::1, as /proc/net/tcp{,6} writes them. */
const LOOPBACK = new Set(["0100007F", "0000000000000000FFFF00000100007F", "00000000000000000000000001000000"]);

function portOpen(port: number): Promise<boolean> {
    return new Promise((resolve) => {
        const socket = net.connect({ host: "127.0.0.1", port });
        socket.setTimeout(1000);
        socket.once("connect", () => {
            socket.destroy();
            resolve(true);
        });
        socket.once("error", () => resolve(false));
        socket.once("timeout", () => {
            socket.destroy();
            resolve(false);
        });
    });
}

for (const version of sparkVersions()) {
    const sparkHome = installSpark(version);
    if (!hasConnectServer(sparkHome)) {
        describe(`Spark ${version}: the connect role`, function () {
            it("refuses a Spark without a Connect server, naming the missing jar", function () {
                const h = new SparkHarness(version, sparkHome, "spark-connect");
                try {
                    const tokenFile = path.join(h.dir, "token");
                    fs.writeFileSync(tokenFile, "t0ken\n", { mode: 0o600 });
                    const res = h.runSync(["connect"], { SPARK_MASTER_URL: "spark://127.0.0.1:7077", SPARK_CONNECT_TOKEN_FILE: tokenFile });
                    assert.equal(res.status, 2, res.stderr);
                    assert.match(res.stderr, /has no Connect server .*spark-connect_\*\.jar missing.*Spark 4 or later/);
                } finally {
                    fs.rmSync(h.dir, { recursive: true, force: true });
                }
            });
        });
        continue;
    }

    describe(`Spark ${version}: Spark Connect with a token (connect role, pyspark-client)`, function () {
        let h: SparkHarness;
        let master: MasterHandle;
        let server: ManagedProcess;
        let token: string;
        let port: number;
        let tlsPort: number;
        let unused: number;
        let proxy: ManagedProcess;
        let caFile: string;
        let otherCaFile: string;
        let python: string;

        sparkSuite(version, "spark-connect", async (harness) => {
            h = harness;
            python = installConnectClient();
            token = crypto.randomBytes(24).toString("hex");
            const tokenFile = path.join(h.dir, "connect-token");
            // As Kubernetes mounts a Secret key (here with a trailing newline).
            fs.writeFileSync(tokenFile, `${token}\n`, { mode: 0o600 });
            master = await h.startMaster("master", { tini: true });
            // 2 cores on the worker, a cap of 1 on the server: the cap is what limits it. The
            // memory a 1Gi worker pod offers: Spark's default executor (1g) would not fit it.
            await h.startWorker(master, "worker-1", { tini: true, env: { SPARK_WORKER_CORES: "2", SPARK_WORKER_MEMORY: "544m" } });
            await h.waitAliveWorkers(master, 1);
            [port, tlsPort, unused] = await freePorts(3);
            // The TLS Secret as the pod mounts it: a certificate for the address the client dials.
            const tlsDir = path.join(h.dir, "connect-tls");
            fs.mkdirSync(tlsDir);
            const tls = generateServerTls("spark-connect", ["127.0.0.1"], 1);
            fs.writeFileSync(path.join(tlsDir, "tls.crt"), tls.cert, { mode: 0o600 });
            fs.writeFileSync(path.join(tlsDir, "tls.key"), tls.key, { mode: 0o600 });
            caFile = path.join(h.dir, "ca.crt");
            fs.writeFileSync(caFile, tls.caCert);
            otherCaFile = path.join(h.dir, "other-ca.crt");
            fs.writeFileSync(otherCaFile, generateServerTls("spark-connect", ["127.0.0.1"], 1).caCert);
            proxy = h.start("connect-tls", ["connect-tls"], {
                tini: true,
                env: { SPARK_CONNECT_TLS_PORT: String(tlsPort), SPARK_CONNECT_PORT: String(port), SPARK_CONNECT_TLS_DIR: tlsDir },
            });
            server = h.start("connect", ["connect", "--conf", "spark.ui.enabled=false"], {
                tini: true,
                env: {
                    SPARK_MASTER_URL: master.url,
                    SPARK_CONNECT_TOKEN_FILE: tokenFile,
                    SPARK_CONNECT_PORT: String(port),
                    SPARK_CONNECT_BIND_ADDRESS: "127.0.0.1",
                    SPARK_CONNECT_MAX_CORES: "1",
                    // The harness's small daemons get 384m, below Spark's 450m minimum for a
                    // driver: the server's own size must win over SPARK_DAEMON_MEMORY.
                    SPARK_CONNECT_DRIVER_MEMORY: "512m",
                    SPARK_CONNECT_EXECUTOR_MEMORY: "544m",
                },
            });
            await waitFor(`the Connect server on port ${port}`, 180000, async () => {
                const out = server.output();
                if (/Error initializing SparkContext|Exception in thread "main"/.test(out)) {
                    throw new Error(`the Connect server failed to start:\n${server.tail(40)}`);
                }
                h.assertRunning(server);
                h.assertRunning(proxy);
                return (await portOpen(port)) && (await portOpen(tlsPort)) ? true : undefined;
            });
        });

        it("listens on loopback only when SPARK_CONNECT_BIND_ADDRESS says so, and `ready connect` sees it", function () {
            const bound = listeningOn(port);
            assert.ok(bound.length > 0, `nothing listens on ${port}`);
            for (const a of bound) assert.ok(LOOPBACK.has(a), `port ${port} bound to ${a}, not loopback`);
            const env = { SPARK_CONNECT_BIND_ADDRESS: "127.0.0.1", SPARK_CONNECT_PORT: String(port) };
            const ready = h.runSync(["ready", "connect"], env);
            assert.equal(ready.status, 0, ready.stderr);
            const closed = h.runSync(["ready", "connect"], { ...env, SPARK_CONNECT_PORT: String(unused) });
            assert.notEqual(closed.status, 0, "ready connect passed for a port nothing listens on");
        });

        it("registers with the master as one application capped at SPARK_CONNECT_MAX_CORES, its executors of SPARK_CONNECT_EXECUTOR_MEMORY", async function () {
            const app = await waitFor("the Connect application RUNNING with its executor", 90000, async () => {
                const json = await h.masterJson(master);
                const a = json.activeapps.find((x) => x.name === "Spark Connect server") as
                    { name: string; state: string; cores: number; memoryperexecutor: number } | undefined;
                return a !== undefined && a.state === "RUNNING" && a.cores > 0 ? a : undefined;
            });
            assert.equal(app.cores, 1, "spark.cores.max=1 not applied");
            assert.equal(app.memoryperexecutor, 544, "spark.executor.memory=544m not applied");
        });

        it("runs a DataFrame aggregation for a client with the token, with the right result", async function () {
            this.timeout(180000);
            const res = await runConnectClient(python, port, token, 170000);
            assert.equal(res.status, 0, `client failed: ${res.stdout}\n${res.stderr.slice(-3000)}`);
            assert.equal(res.json?.ok, true);
            assert.deepEqual(res.json?.groups, {
                "0": [16668333, 3334],
                "1": [16661667, 3333],
                "2": [16665000, 3333],
            });
        });

        for (const [label, given] of [
            ["no token", undefined],
            ["a wrong token", "not-the-token"],
        ] as const) {
            it(`refuses a client with ${label}`, async function () {
                this.timeout(120000);
                const res = await runConnectClient(python, port, given, 110000);
                assert.equal(res.status, 1, `expected a refusal: ${res.stdout}\n${res.stderr.slice(-2000)}`);
                assert.equal(res.json?.ok, false);
                assert.match(res.json?.error ?? "", /UNAUTHENTICATED|[Aa]uthentication|token/);
                assert.doesNotMatch(res.stdout, /"groups"/);
            });
        }

        it("runs the aggregation over TLS through the connect-tls proxy for a client with the token and the CA", async function () {
            this.timeout(180000);
            const res = await runConnectClient(python, `sc://127.0.0.1:${tlsPort}`, token, 170000, {
                GRPC_DEFAULT_SSL_ROOTS_FILE_PATH: caFile,
            });
            assert.equal(res.status, 0, `client failed: ${res.stdout}\n${res.stderr.slice(-3000)}\n${proxy.tail(20)}`);
            assert.equal(res.json?.ok, true);
            assert.equal(Object.keys(res.json?.groups ?? {}).length, 3);
        });

        it("refuses a TLS client trusting another CA: the handshake fails, and it never gets a session", async function () {
            this.timeout(60000);
            // pyspark-client retries an unavailable server for minutes: 25 s of failed handshakes is the answer.
            const res = await runConnectClient(python, `sc://127.0.0.1:${tlsPort}`, token, 25000, {
                GRPC_DEFAULT_SSL_ROOTS_FILE_PATH: otherCaFile,
            });
            assert.notEqual(res.status, 0, res.stdout);
            assert.doesNotMatch(res.stdout, /"groups"/);
            assert.match(`${res.stdout}${res.stderr}`, /CERTIFICATE_VERIFY_FAILED/);
        });

        it("refuses a TLS client without the token: the server's check behind the proxy", async function () {
            this.timeout(120000);
            // Without a token pyspark-client would not use TLS at all: use_ssl asks for it, so the
            // refusal is the token check, not a failed handshake.
            const res = await runConnectClient(python, `sc://127.0.0.1:${tlsPort}/;use_ssl=true`, undefined, 110000, {
                GRPC_DEFAULT_SSL_ROOTS_FILE_PATH: caFile,
            });
            assert.equal(res.status, 1, `expected a refusal: ${res.stdout}\n${res.stderr.slice(-2000)}`);
            assert.equal(res.json?.ok, false);
            assert.match(res.json?.error ?? "", /UNAUTHENTICATED|[Aa]uthentication|token/);
        });

        it("keeps the token off every command line and out of the server's log", function () {
            const cmds = commandLines(server.pid);
            assert.ok(
                cmds.some((c) => c.includes("SparkConnectServer")),
                "no Connect server JVM found",
            );
            for (const c of cmds) assert.ok(!c.includes(token), `token visible in argv: ${c.slice(0, 200)}`);
            assert.ok(!server.output().includes(token), "token in the server's log");
            // Its heap is its own, not the daemons' 384m.
            assert.ok(
                cmds.some((c) => c.includes("-Xmx512m")),
                `no -Xmx512m: ${cmds.find((c) => c.includes("SparkConnectServer"))?.slice(0, 400)}`,
            );
        });
    });
}
