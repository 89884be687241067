// Spark really running: the image built by Docker from images/spark, and the local stack
// deployed by the real Pulumi CLI onto real nodes (scripts/node): workers ALIVE with the
// configured sizes as the master reports them, a job submitted as users submit it (the
// consumer stack examples/spark-job), scaling, faults, a Spark version upgrade, a worker
// rollout sampled for registered workers, a worker evicted alone for filling its scratch
// space, the History Server in its pod, NetworkPolicy and egress enforced, a master deleted
// mid-job that recovers the application from its claim, encryption on the wire, and every UI
// through the one printed port-forward. The specs build on each other, in order. Sized for a
// 2-CPU machine with 2 nodes: master 1 CPU, 2 workers of 1 CPU and 1Gi, the job's driver 1 CPU.
import * as assert from "assert";
import { spawn, spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import {
    docker,
    ensureKeda,
    ensureTools,
    NODES,
    initStack,
    installPromCrds,
    KUBECONFIG,
    kubectl,
    kubectlJson,
    localStackConfig,
    NODE_CLUSTER_DIR,
    outputs,
    project,
    pulumi,
    pulumiEnv,
    readStackConfig,
    ROOT,
    script,
    sparkImage,
    TOOLS_BIN,
    VERSIONS,
    waitFor,
    writeStackConfig,
} from "./harness";
import { freePorts, installConnectClient, JOBS_DIR, runConnectClient } from "../../tooling/spark";
import { median, spread } from "../../bench/report";
import { launchBrowser, openTab, screenshot, SCREENSHOT_DIR } from "./browser";
import { Prometheus } from "./prometheus";
import { drawDashboard } from "./dashboard";
import { METRIC_SOURCES, METRICS } from "../../components/monitoring/rules";

const STACK = "local";
const NS = "spark-local";
const WORKER_CORES = 1;
/** The pods' addresses on the node bridge (scripts/node/common.sh's POD_CIDR). */
const POD_CIDR = "10.244.0.0/24";
/** spark-submit options that hold a job until it has an executor on each of the two workers. */
const TWO_EXECUTORS = [
    "--conf",
    "spark.scheduler.minRegisteredResourcesRatio=1.0",
    "--conf",
    "spark.scheduler.maxRegisteredResourcesWaitingTime=120s",
    "--conf",
    "spark.cores.max=2",
];
/** Spec 13's rows. */
const CRYPTO_ROWS = 20_000;
/** SPARK_WORKER_MEMORY the program offers for a 1Gi worker container (components/quantity.ts). */
const WORKER_OFFERED_MB = 544;
/**
 * `monitoring` for the whole describe: scraped and evaluated every 5 s, and the shortest
 * `for:` the config allows for the alert spec 16 fires.
 */
const MONITORING = { scrapeInterval: "5s", workersBelowForMinutes: 1 };

interface MasterJson {
    aliveworkers: number;
    status: string;
    workers: { id: string; host: string; cores: number; coresused: number; memory: number; state: string }[];
    activeapps: { id: string; name: string; cores: number; state: string }[];
    activedrivers?: { id: string; state: string }[];
    completedapps: { id: string; name: string; state: string }[];
}

/** Whether nothing listens on 127.0.0.1:PORT (tried by listening there). */
function portFree(port: number): Promise<boolean> {
    return new Promise((resolve) => {
        const server = net.createServer();
        server.once("error", () => resolve(false));
        server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
    });
}

interface PortForward {
    /** The local port it listens on. */
    local: number;
    /** What kubectl printed so far. */
    log: () => string;
    stop: () => void;
}

/**
 * Runs a printed port-forward command (`kubectl ... port-forward svc/X L:R`) as a user would,
 * with this cluster's kubeconfig; on a free local port instead of L when L is taken here.
 * Resolves once kubectl says it is forwarding.
 */
async function portForward(printed: string, local: number, remote: number): Promise<PortForward> {
    const [cmd, ...args] = printed.split(" ");
    assert.strictEqual(cmd, "kubectl", `port-forward command: ${printed}`);
    assert.match(printed, new RegExp(` port-forward \\S+ ${local}:${remote}$`), `port-forward command: ${printed}`);
    // The printed local port where it is free here, else any free one.
    const here = (await portFree(local)) ? local : (await freePorts(1))[0];
    args[args.length - 1] = `${here}:${remote}`;
    const child = spawn(path.join(TOOLS_BIN, "kubectl"), ["--kubeconfig", KUBECONFIG, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let log = "";
    child.stdout?.on("data", (d) => (log += String(d)));
    child.stderr?.on("data", (d) => (log += String(d)));
    const forward = { local: here, log: () => log, stop: () => child.kill() };
    try {
        await waitFor(`${printed} forwarding`, 30_000, () => {
            assert.strictEqual(child.exitCode, null, `${printed} exited:\n${log}`);
            return /Forwarding from 127\.0\.0\.1:/.test(log);
        });
    } catch (e) {
        forward.stop();
        throw e;
    }
    return forward;
}

/** kubectl without waiting for it: its exit code and output once it ends (within `timeoutMs`). */
function kubectlAsync(args: string[], timeoutMs = 300_000): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
        const child = spawn(path.join(TOOLS_BIN, "kubectl"), ["--kubeconfig", KUBECONFIG, ...args], { stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout?.on("data", (d) => (stdout += String(d)));
        child.stderr?.on("data", (d) => (stderr += String(d)));
        const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
        child.on("close", (code) => {
            clearTimeout(timer);
            resolve({ code: code ?? -1, stdout, stderr });
        });
    });
}

/**
 * Copies the pinned thin client (the host's pyspark-client site-packages, the same CPython
 * 3.11 as the image's) into `pod`'s /client/py and tests/spark/jobs/connect_client.py into /client, as tar
 * through `kubectl exec` (what `kubectl cp` does, without the packaging tools and tests).
 * Returns the size copied.
 */
function copyConnectClient(python: string, pod: string): string {
    const site = spawnSync(python, ["-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], { encoding: "utf8" }).stdout.trim();
    assert.ok(fs.existsSync(path.join(site, "pyspark")), `no pyspark-client in ${site}`);
    const excludes = [
        "./pip",
        "./pip-*",
        "./setuptools*",
        "./pkg_resources",
        "./_distutils_hack",
        "__pycache__",
        "*/tests",
        "./pyarrow/include",
    ];
    // Under py/: a non-root tar cannot restore the metadata of the emptyDir itself (".").
    const tar = `tar -cf - ${excludes.map((e) => `--exclude='${e}'`).join(" ")} --transform 's,^\\.,py,' -C "$SITE" . -C "$JOBS" connect_client.py`;
    const env = { ...process.env, SITE: site, JOBS: JOBS_DIR, KUBECTL: path.join(TOOLS_BIN, "kubectl"), KUBECONFIG, NS, POD: pod };
    const r = spawnSync(
        "bash",
        ["-o", "pipefail", "-c", `${tar} | "$KUBECTL" --kubeconfig "$KUBECONFIG" -n "$NS" exec -i "$POD" -- tar -C /client -xf -`],
        {
            encoding: "utf8",
            env,
        },
    );
    assert.strictEqual(r.status, 0, `copying the thin client into ${pod}: ${r.stderr}`);
    const bytes = Number(spawnSync("bash", ["-o", "pipefail", "-c", `${tar} | wc -c`], { encoding: "utf8", env }).stdout.trim());
    return `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
}

function sleep(ms: number): Promise<void> {
    return new Promise((ok) => setTimeout(ok, ms));
}

/** The master's /json/ read through its Service, by the apiserver's service proxy. */
function masterJson(): MasterJson | undefined {
    const r = kubectl(["get", "--raw", `/api/v1/namespaces/${NS}/services/spark-master:8080/proxy/json/`], { allowFail: true });
    if (r.code !== 0) {
        return undefined;
    }
    try {
        return JSON.parse(r.stdout) as MasterJson;
    } catch {
        return undefined;
    }
}

function alive(m: MasterJson | undefined) {
    return (m?.workers ?? []).filter((w) => w.state === "ALIVE");
}

/** Waits until the master reports exactly `n` ALIVE workers (and returns its /json/). */
async function waitForAliveWorkers(n: number, timeoutMs = 180_000): Promise<MasterJson> {
    try {
        return (await waitFor<MasterJson | undefined>(`${n} ALIVE workers in the master's /json/`, timeoutMs, () => {
            const m = masterJson();
            return m !== undefined && m.status === "ALIVE" && alive(m).length === n ? m : undefined;
        })) as MasterJson;
    } catch (e) {
        throw withWorkerLogs(e);
    }
}

/**
 * `e` with what the master lists as ALIVE and what the workers were doing (registering,
 * retrying, or silent on a dead connection): the last lines of each worker pod's log.
 */
function withWorkerLogs(e: unknown): Error {
    const logs = pods("worker").map((p) => {
        const r = kubectl(["-n", NS, "logs", p.metadata.name, "--tail=25"], { allowFail: true });
        return `--- ${p.metadata.name} (${p.status.podIP}) ---\n${r.stdout}`;
    });
    return new Error(`${String(e)}\nmaster: ${JSON.stringify(alive(masterJson()))}\n${logs.join("\n")}`);
}

/**
 * The master log's proof that worker `id` left cleanly: SIGTERM made the entrypoint decommission
 * it, and only then was it removed. A lost worker is only removed (or timed out: "no heartbeat").
 */
function expectDecommissioned(id: string): void {
    const log = kubectl(["-n", NS, "logs", "deploy/spark-master"]).stdout;
    const decommissioned = log.indexOf(`Decommissioning worker ${id}`);
    const removed = log.indexOf(`Removing worker ${id}`);
    assert.ok(decommissioned >= 0 && decommissioned < removed, `no decommission of ${id} before its removal:\n${log.slice(-3000)}`);
    assert.ok(!new RegExp(`${id}.*no heartbeat`).test(log), `${id} timed out instead:\n${log.slice(-3000)}`);
}

/** Sets stack config keys; `undefined` removes one. */
function setConfig(values: Record<string, unknown>): void {
    const config = readStackConfig(STACK);
    for (const [k, v] of Object.entries(values)) {
        if (v === undefined) {
            delete config[`spark-on-k8s:${k}`];
        } else {
            config[`spark-on-k8s:${k}`] = v;
        }
    }
    writeStackConfig(STACK, config);
}

function up(): number {
    const t0 = Date.now();
    pulumi(["up", "--yes", "--skip-preview", "--stack", STACK]);
    return (Date.now() - t0) / 1000;
}

function pods(component: string): any[] {
    return kubectlJson(["-n", NS, "get", "pods", "-l", `app.kubernetes.io/component=${component}`]).items;
}

function running(component: string): any[] {
    return pods(component).filter((p) => p.status.phase === "Running" && !p.metadata.deletionTimestamp);
}

function note(message: string): void {
    process.stderr.write(`      [node] ${message}\n`);
}

const JOB_DIR = () => path.join(project, "examples", "spark-job");

/**
 * `pulumi up` of the stack in `cwd`, with `whileRunning` run beside it; returns once both have
 * ended. A failure of `whileRunning` interrupts the `up`: never leave one running (and holding
 * the stack's lock) behind a failed check.
 */
async function upWhile(cwd: string, whileRunning?: (done: () => boolean) => Promise<void>): Promise<void> {
    const child = spawn(path.join(TOOLS_BIN, "pulumi"), ["up", "--yes", "--skip-preview", "--non-interactive", "--stack", STACK], {
        cwd,
        env: pulumiEnv(),
        stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    let ended = false;
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    const exited = new Promise<number>((ok) =>
        child.on("close", (code) => {
            ended = true;
            ok(code ?? -1);
        }),
    );
    if (whileRunning) {
        try {
            await whileRunning(() => ended);
        } catch (e) {
            child.kill("SIGINT");
            await exited;
            throw e;
        }
    }
    const code = await exited;
    assert.strictEqual(code, 0, `pulumi up in ${path.relative(project, cwd) || "."} failed:\n${output.slice(-4000)}`);
}

/** Runs the consumer stack (its Job) to completion; returns the driver pod's `PI=` value. */
async function runJob(partitions: number, whileRunning?: () => Promise<void>): Promise<number> {
    const cwd = JOB_DIR();
    pulumi(["config", "set", "--stack", STACK, "spark-job:partitions", String(partitions)], { cwd });
    const t0 = Date.now();
    await upWhile(cwd, whileRunning);
    const jobName = outputs(STACK, cwd).jobName as string;
    const job = kubectlJson(["-n", NS, "get", "job", jobName]);
    // An `up` with the same partitions as the last one changes nothing and would read the old
    // Job's log: every call must have run a new Job.
    const created = new Date(job.metadata.creationTimestamp).getTime();
    assert.ok(created >= t0 - 2000, `job ${jobName} was created before this run (same partitions as the last runJob?)`);
    assert.strictEqual(job.status.succeeded, 1, `job ${jobName}: ${JSON.stringify(job.status)}`);
    const log = kubectl(["-n", NS, "logs", `job/${jobName}`]).stdout;
    const m = /^PI=([0-9.]+)$/m.exec(log);
    assert.ok(m, `no PI= line in the driver's log:\n${log.slice(-3000)}`);
    note(`job (${partitions} partitions) done in ${((Date.now() - t0) / 1000).toFixed(1)}s: PI=${m[1]}`);
    return Number(m[1]);
}

/** Spec 7's job: one task writes `mib` MiB into its executor's local dir and holds it. */
const FILL_SCRIPT = `"""Fills one worker's scratch volume past its sizeLimit (tests/node spec 7)."""
import os
import sys
import time

from pyspark import TaskContext
from pyspark.sql import SparkSession

mib = int(sys.argv[1])
spark = SparkSession.builder.appName("fill-scratch").getOrCreate()


def fill(rows):
    ctx = TaskContext.get()
    if ctx.partitionId() == 0 and ctx.attemptNumber() == 0:
        # Spark's local dir on the worker: its /tmp scratch volume (workerScratchSize).
        local = os.environ.get("SPARK_LOCAL_DIRS", "/tmp").split(",")[0]
        block = os.urandom(1 << 20)
        with open(os.path.join(local, "fill.bin"), "wb") as f:
            for _ in range(mib):
                f.write(block)
            f.flush()
            os.fsync(f.fileno())
        print(f"FILLED {mib} MiB in {local}", file=sys.stderr, flush=True)
        time.sleep(600)  # holds the file: the kubelet evicts this worker long before
    return [sum(1 for _ in rows)]


print(f"ROWS={spark.sparkContext.parallelize(range(1000), 2).mapPartitions(fill).sum()}")
spark.stop()
`;

/** What a Job made from the consumer stack's pod template runs (see jobFromTemplate). */
interface ScriptJob {
    name: string;
    /** A PySpark script, mounted from a ConfigMap in place of pi.py. */
    script?: string;
    /** The script's arguments. */
    args?: string[];
    /** Extra spark-submit options, put before the script. */
    options?: string[];
    /** The entrypoint's whole argument list instead (`submit ...`), for a submission not shaped like pi.py's. */
    submit?: string[];
    /** The script's file name under /opt/script (default `<name>.py`). */
    file?: string;
    /** The container's command, in place of the image's entrypoint (it gets the args). */
    command?: string[];
    /** Environment set in the container (over the template's), or removed where undefined. */
    env?: Record<string, string | undefined>;
    /** The container's CPU request instead of the template's (its limit stays), where the nodes' CPUs are taken. */
    cpuRequest?: string;
    /** The image instead of the template's (the consumer stack's, from its last up: maybe another Spark line). */
    image?: string;
    timeoutMs: number;
}

/** The consumer stack's Job pod template, without the labels that tie it to that Job. */
function exampleTemplate(): any {
    const jobName = outputs(STACK, JOB_DIR()).jobName as string;
    const template = kubectlJson(["-n", NS, "get", "job", jobName]).spec.template;
    for (const k of Object.keys(template.metadata.labels)) {
        if (/(^|\/)(controller-uid|job-name)$/.test(k)) {
            delete template.metadata.labels[k];
        }
    }
    return template;
}

/**
 * Starts a Job made of the consumer stack's own pod template (its client label, RPC secret,
 * driver ports and hardening) running \`job.script\` or \`job.submit\`.
 */
function startScriptJob(job: ScriptJob): void {
    const template = exampleTemplate();
    const [container] = template.spec.containers;
    const items: object[] = [];
    if (job.command) {
        container.command = job.command;
    }
    if (job.image !== undefined) {
        container.image = job.image;
    }
    if (job.cpuRequest !== undefined) {
        container.resources.requests.cpu = job.cpuRequest;
    }
    for (const [name, value] of Object.entries(job.env ?? {})) {
        container.env = (container.env ?? []).filter((e: { name: string }) => e.name !== name);
        if (value !== undefined) {
            container.env.push({ name, value });
        }
    }
    if (job.submit) {
        container.args = job.submit;
    } else {
        const scriptArg = container.args.findIndex((a: string) => a.endsWith(".py"));
        container.args = [...container.args.slice(0, scriptArg), ...(job.options ?? []), `/opt/script/${job.name}.py`, ...(job.args ?? [])];
        container.args[container.args.indexOf("--name") + 1] = job.name;
    }
    if (job.script !== undefined) {
        container.volumeMounts.push({ name: "script", mountPath: "/opt/script", readOnly: true });
        template.spec.volumes.push({ name: "script", configMap: { name: job.name } });
        items.push({
            apiVersion: "v1",
            kind: "ConfigMap",
            metadata: { name: job.name, namespace: NS },
            data: { [job.file ?? `${job.name}.py`]: job.script },
        });
    }
    items.push({
        apiVersion: "batch/v1",
        kind: "Job",
        metadata: { name: job.name, namespace: NS },
        spec: { backoffLimit: 0, activeDeadlineSeconds: Math.ceil(job.timeoutMs / 1000), template },
    });
    kubectl(["apply", "-f", "-"], { input: JSON.stringify({ apiVersion: "v1", kind: "List", items }) });
}

/** Waits for a Job of startScriptJob to end; returns its log, then deletes it. */
async function awaitScriptJob(job: ScriptJob): Promise<{ succeeded: boolean; log: string }> {
    try {
        const status = await waitFor(`job ${job.name} to end`, job.timeoutMs + 30_000, () => {
            const st = kubectlJson(["-n", NS, "get", "job", job.name]).status;
            return st.succeeded || st.failed ? st : undefined;
        });
        return { succeeded: status.succeeded === 1, log: kubectl(["-n", NS, "logs", `job/${job.name}`], { allowFail: true }).stdout };
    } finally {
        kubectl(["-n", NS, "delete", "job,configmap", job.name, "--ignore-not-found", "--wait=false"], { allowFail: true });
    }
}

/** Runs a Job of startScriptJob to its end; returns the driver's log. */
async function runScriptJob(
    name: string,
    script: string,
    args: string[],
    timeoutMs: number,
    options: string[] = [],
    env: Record<string, string | undefined> = {},
): Promise<{ succeeded: boolean; log: string }> {
    const job = { name, script, args, options, env, timeoutMs };
    startScriptJob(job);
    return awaitScriptJob(job);
}

/** "enforced", or "not enforced: <reason>": what scripts/node/up.sh recorded for NetworkPolicy. */
/** The pod of an IDLE_SCRIPT job once it waits, idle, with its application RUNNING (the script names it idle-driver). */
function waitForIdleDriver(job: ScriptJob): Promise<{ name: string; appId: string }> {
    return waitFor(`${job.name}: the idle driver waiting, its application RUNNING`, 240_000, () => {
        const [p] = kubectlJson(["-n", NS, "get", "pods", "-l", `job-name=${job.name}`]).items;
        if (p?.status.phase !== "Running") {
            return undefined;
        }
        const log = kubectl(["-n", NS, "logs", p.metadata.name], { allowFail: true }).stdout;
        const app = (masterJson()?.activeapps ?? []).find((a) => [job.name, "idle-driver"].includes(a.name) && a.state === "RUNNING");
        return /^IDLE=waiting$/m.test(log) && app ? { name: p.metadata.name as string, appId: app.id } : undefined;
    });
}

function networkPolicyState(): string {
    return fs.readFileSync(path.join(NODE_CLUSTER_DIR, "node", "network-policy"), "utf8").trim();
}

/**
 * Whether `pod` can open a TCP connection to each target within 3 s: all tried at once, in one
 * exec (a closed port costs the whole 3 s, so one after another they cost 3 s each).
 */
function connectsAll(ns: string, pod: string, targets: { ip: string; port: number }[]): boolean[] {
    const tries = targets.map(
        (t, i) => `(timeout 3 bash -c '</dev/tcp/${t.ip}/${t.port}' 2>/dev/null && echo ${i}=open || echo ${i}=closed) &`,
    );
    const out = kubectl(["-n", ns, "exec", pod, "--", "bash", "-c", `${tries.join("\n")}\nwait`], { allowFail: true }).stdout;
    return targets.map((_, i) => new RegExp(`^${i}=open$`, "m").test(out));
}

/** A TCP connect from a pod to ip:port, bounded to 3 s: true when it connected. */
function connects(ns: string, pod: string, ip: string, port: number): boolean {
    return connectsAll(ns, pod, [{ ip, port }])[0];
}

/** The executors' logs (stdout, and stderr, in each worker's work dir) of application `appId`, from every worker pod. */
function executorLogs(appId: string): string {
    return running("worker")
        .map(
            (p) =>
                kubectl(
                    [
                        "-n",
                        NS,
                        "exec",
                        p.metadata.name,
                        "--",
                        "sh",
                        "-c",
                        `cat /opt/spark/work/${appId}/*/stdout /opt/spark/work/${appId}/*/stderr 2>/dev/null || true`,
                    ],
                    { allowFail: true },
                ).stdout,
        )
        .join("\n");
}

/** The newest application of that name the master lists as completed. */
function newestCompleted(name: string): { id: string; name: string; state: string } | undefined {
    return (masterJson()?.completedapps ?? []).filter((a) => a.name === name).sort((a, b) => b.id.localeCompare(a.id))[0];
}

/** Spec 9's holder: an application whose two executors (one per worker) stay up while the boundary is probed. */
const HOLD_SCRIPT = `"""Holds an executor on each worker (tests/node spec 9)."""
import time

from pyspark.sql import SparkSession

spark = SparkSession.builder.appName("netpol-hold").getOrCreate()
spark.sparkContext.parallelize(range(2), 2).map(lambda _: time.sleep(240)).count()
spark.stop()
`;

/** Spec 9's client-mode job: task results too big to travel inline, and a shuffle between two executors. */
const NET_SCRIPT = `"""Big task results and a cross-executor shuffle under the enforced NetworkPolicy (tests/node spec 9)."""
import os
from operator import add

from pyspark.sql import SparkSession

spark = SparkSession.builder.appName("netpol-client").getOrCreate()
sc = spark.sparkContext
# Four 2 MiB results: above spark.task.maxDirectResultSize (1 MiB), so each executor keeps its
# result in its block manager and the driver fetches it from there.
big = sc.parallelize(range(4), 4).map(lambda _: os.urandom(2 << 20)).collect()
print(f"BIG={len(big)}x{min(len(b) for b in big)}", flush=True)
# Every map task writes blocks for every reducer: the reducers fetch them from both executors.
pairs = sc.parallelize(range(200000), 8).map(lambda x: (x % 1000, 1)).reduceByKey(add, 4).collect()
print(f"SHUFFLE={len(pairs)},{sum(v for _, v in pairs)}", flush=True)
hosts = sorted(i.host() for i in sc._jsc.sc().statusTracker().getExecutorInfos())
print("EXECUTOR_HOSTS=" + ",".join(hosts), flush=True)
spark.stop()
`;

/** Spec 9's cluster-mode driver: 20 task results, each through the block manager (maxDirectResultSize=1). */
const CLUSTER_SCRIPT = `"""A cluster-mode driver on a worker (tests/node spec 9)."""
import os
import random
from operator import add

from pyspark.sql import SparkSession

builder = SparkSession.builder.appName("netpol-cluster")
# The worker hands a cluster-mode driver the RPC secret in _SPARK_AUTH_SECRET only (it strips it
# from the driver's options), yet a standalone driver requires spark.authenticate.secret: set it.
if "_SPARK_AUTH_SECRET" in os.environ:
    builder = builder.config("spark.authenticate.secret", os.environ["_SPARK_AUTH_SECRET"])
spark = builder.getOrCreate()
n = 200000
inside = spark.sparkContext.parallelize(range(n), 20).map(lambda _: int(random.random() ** 2 + random.random() ** 2 <= 1)).reduce(add)
print(f"PI={4.0 * inside / n}", flush=True)
spark.stop()
`;

/** Spec 13's job: rows holding a marker, shuffled uncompressed between executors on the two workers. */
const CRYPTO_SCRIPT = `"""Rows holding a marker shuffled between executors on two nodes (tests/node spec 13)."""
import sys

from pyspark.sql import SparkSession

marker = sys.argv[1]
spark = SparkSession.builder.appName("crypto").getOrCreate()
sc = spark.sparkContext
rows = sc.parallelize(range(${CRYPTO_ROWS}), 8).map(lambda i: (i % 16, f"{marker}-{i}"))
counts = rows.groupByKey(8).mapValues(lambda vs: sum(1 for v in vs if v.startswith(marker))).collect()
print(f"SHUFFLE_ROWS={sum(c for _, c in counts)}", flush=True)
hosts = sorted(i.host() for i in sc._jsc.sc().statusTracker().getExecutorInfos())
print("EXECUTOR_HOSTS=" + ",".join(hosts), flush=True)
spark.stop()
`;

/** What tests/spark/jobs/sniff.py saw between two pod addresses. */
interface Capture {
    interHostPackets: number;
    interHostBytes: number;
    flows: number;
    markerHits: number;
    flowsWithMarker: string[];
}

/**
 * Runs CRYPTO_SCRIPT from a client pod while every host interface is captured (the pods' veths
 * on the node bridge), counting only pod-to-pod packets; returns the job's log and the capture.
 */
async function shuffleUnderCapture(name: string, env: Record<string, string | undefined>): Promise<{ log: string; capture: Capture }> {
    const marker = `MARKER${crypto.randomBytes(6).toString("hex")}`;
    const report = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "capture-")), "report.json");
    const sniffer = spawn("python3", [path.join(ROOT, "tests", "spark", "jobs", "sniff.py"), marker, report, "any", POD_CIDR], {
        stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    sniffer.stdout.on("data", (d) => (out += d));
    sniffer.stderr.on("data", (d) => (out += d));
    const exited = new Promise<void>((ok) => sniffer.on("close", () => ok()));
    try {
        await waitFor("the capture to start", 10_000, () => (out.includes("READY") ? true : undefined));
        const job = await runScriptJob(
            name,
            CRYPTO_SCRIPT,
            [marker],
            300_000,
            [...TWO_EXECUTORS, "--conf", "spark.shuffle.compress=false"],
            env,
        );
        assert.ok(job.succeeded, `${name} failed:\n${job.log.slice(-3000)}`);
        assert.match(job.log, new RegExp(`^SHUFFLE_ROWS=${CRYPTO_ROWS}$`, "m"));
        sniffer.kill("SIGTERM");
        await exited;
        assert.ok(fs.existsSync(report), `the capture wrote no report: ${out}`);
        const capture = JSON.parse(fs.readFileSync(report, "utf8")) as Capture;
        note(
            `${name}: ${capture.interHostPackets} packets, ${capture.interHostBytes} bytes in ${capture.flows} pod-to-pod flows; marker found ${capture.markerHits} times`,
        );
        return { log: job.log, capture };
    } finally {
        sniffer.kill("SIGKILL");
    }
}

/** Spec 12's driver: one job, then idle (its executors kept, no job) until /tmp/idle-go exists, then another. */
const IDLE_SCRIPT = `"""A driver idle across a master restart (tests/node spec 12)."""
import os
import sys
import time

from pyspark.sql import SparkSession

spark = SparkSession.builder.appName("idle-driver").getOrCreate()
sc = spark.sparkContext
sys.stdout.write(f"BEFORE_COUNT={sc.parallelize(range(100), 2).count()}\\nIDLE=waiting\\n")
sys.stdout.flush()
deadline = time.time() + 300
while not os.path.exists("/tmp/idle-go"):
    if time.time() > deadline:
        raise SystemExit("/tmp/idle-go never appeared")
    time.sleep(0.5)
sys.stdout.write(f"AFTER_COUNT={sc.parallelize(range(1000), 4).count()}\\n")
sys.stdout.flush()
spark.stop()
`;

/**
 * The autoscaling specs' applications (17-19), one core each (--total-executor-cores 1): `hold` keeps
 * its executor busy with a small job every second until /tmp/hold-go appears, then adds
 * 0..999999; `sum` adds 0..999999 at once. Both print the sum and how many of their tasks
 * failed, from the driver's own status tracker.
 */
const AUTOSCALE_SCRIPT = `"""Autoscaling's applications (tests/node specs 17-19)."""
import os
import sys
import time

from pyspark.sql import SparkSession

spark = SparkSession.builder.getOrCreate()
sc = spark.sparkContext
if sys.argv[1] == "hold":
    deadline = time.time() + 600
    while not os.path.exists("/tmp/hold-go"):
        if time.time() > deadline:
            raise SystemExit("/tmp/hold-go never appeared")
        sc.parallelize(range(10), 1).map(lambda x: time.sleep(0.5) or x).count()
        time.sleep(0.5)
total = sc.parallelize(range(1_000_000), 4).sum()
tracker = sc.statusTracker()
stages = [s for j in tracker.getJobIdsForGroup(None) for s in (tracker.getJobInfo(j).stageIds if tracker.getJobInfo(j) else [])]
failed = sum(info.numFailedTasks for info in map(tracker.getStageInfo, stages) if info)
sys.stdout.write(f"SUM={total}\\nFAILED_TASKS={failed}\\n")
sys.stdout.flush()
spark.stop()
`;
/** 0 + 1 + ... + 999999, what AUTOSCALE_SCRIPT's applications must print. */
const AUTOSCALE_SUM = (999_999 * 1_000_000) / 2;

/** The real Prometheus of specs 1b, 15 and 16 (tests/node/prometheus.ts), from the stack's own objects. */
function startPrometheus(): Promise<Prometheus> {
    ensureTools("prometheus");
    return Prometheus.start({
        dir: path.join(ROOT, ".local", "prometheus"),
        binary: path.join(TOOLS_BIN, "prometheus"),
        kubeconfig: KUBECONFIG,
        interval: MONITORING.scrapeInterval,
        podMonitors: () => kubectlJson(["-n", NS, "get", "podmonitors.monitoring.coreos.com"]).items,
        prometheusRules: () => kubectlJson(["-n", NS, "get", "prometheusrules.monitoring.coreos.com"]).items,
    });
}

/**
 * Waits until every Spark metric the rules and the dashboard use (METRICS, by the role that
 * serves it) has been scraped from the running pods of that role, which run `version`. Not the
 * kube-state-metrics ones (no kube-state-metrics runs here) nor `up` (the targets' own).
 */
async function expectSparkMetrics(prom: Prometheus, version: string): Promise<void> {
    const byRole = new Map<string, string[]>();
    for (const role of ["master", "worker"]) {
        const rolePods = running(role);
        for (const p of rolePods) {
            assert.strictEqual(p.spec.containers[0].image, sparkImage(version), `${p.metadata.name}'s image`);
        }
        byRole.set(
            role,
            rolePods.map((p) => p.metadata.name),
        );
    }
    const wanted = (Object.keys(METRICS) as (keyof typeof METRICS)[]).flatMap((k) =>
        ["master", "worker"].filter((role) => METRIC_SOURCES[k].split("+").includes(role)).map((role) => ({ name: METRICS[k], role })),
    );
    let missing: string[] = [];
    await waitFor(`every rule and dashboard metric scraped from ${version}'s master and workers`, 90_000, async () => {
        missing = [];
        for (const { name, role } of wanted) {
            const podNames = byRole.get(role)!;
            const found = await prom.query(`count by (pod) (${name}{namespace="${NS}",spark_role="${role}",pod=~"${podNames.join("|")}"})`);
            if (found.length !== podNames.length) {
                missing.push(`${name} from ${podNames.length - found.length} of ${podNames.length} ${role} pods`);
            }
        }
        return missing.length === 0;
    }).catch((e: Error) => {
        throw new Error(`${e.message}\nmissing: ${missing.join("; ")}`);
    });
}

/** A node or pod whose Ready condition is True. */
function isReady(o: any): boolean {
    return (o.status.conditions ?? []).some((c: any) => c.type === "Ready" && c.status === "True");
}

function nodesReady(): string[] {
    return kubectlJson(["get", "nodes"])
        .items.filter(isReady)
        .map((n: any) => n.metadata.name);
}

describe("the Spark image, built by Docker from images/spark", function () {
    this.timeout(180_000);

    for (const version of [VERSIONS.current, VERSIONS.previous]) {
        it(`${version}: built for that version, runs as the non-root user 185`, () => {
            const [image] = JSON.parse(docker(["image", "inspect", sparkImage(version)]).stdout);
            assert.strictEqual(image.Config.User, "185:185");
            assert.strictEqual(image.Config.Labels["org.opencontainers.image.version"], version);
            const id = docker(["run", "--rm", "--network", "none", "--entrypoint", "id", sparkImage(version)]).stdout.trim();
            assert.match(id, /^uid=185\(spark\) gid=185\(spark\)/);
            // The Spark inside is that version.
            const jars = docker(["run", "--rm", "--network", "none", "--entrypoint", "ls", sparkImage(version), "/opt/spark/jars"]).stdout;
            assert.match(jars, new RegExp(`^spark-core_2\\.1[23]-${version.replace(/\./g, "\\.")}\\.jar$`, "m"));
        });
    }

    it(`${VERSIONS.current}: a master and a worker container register, and docker stop ends both within the grace period`, async () => {
        const image = sparkImage(VERSIONS.current);
        const [rpc, ui, wrpc, wui] = [17077, 18080, 17078, 18081].map((p) => p + Math.floor(Math.random() * 1000));
        const common = [
            "run",
            "-d",
            "--network",
            "host",
            "--read-only",
            "--tmpfs",
            "/tmp",
            "--tmpfs",
            "/opt/spark/work:uid=185,gid=185,mode=0775",
            "-e",
            "SPARK_LOCAL_IP=127.0.0.1",
        ];
        const names = [`spark-node-test-master-${rpc}`, `spark-node-test-worker-${rpc}`];
        try {
            docker([
                ...common,
                "--name",
                names[0],
                "-e",
                "SPARK_MASTER_HOST=127.0.0.1",
                "-e",
                `SPARK_MASTER_PORT=${rpc}`,
                "-e",
                `SPARK_MASTER_WEBUI_PORT=${ui}`,
                image,
                "master",
            ]);
            docker([
                ...common,
                "--name",
                names[1],
                "-e",
                `SPARK_MASTER_URL=spark://127.0.0.1:${rpc}`,
                "-e",
                `SPARK_WORKER_PORT=${wrpc}`,
                "-e",
                `SPARK_WORKER_WEBUI_PORT=${wui}`,
                "-e",
                "SPARK_WORKER_CORES=1",
                "-e",
                "SPARK_WORKER_MEMORY=512m",
                image,
                "worker",
            ]);
            try {
                await waitFor("the worker ALIVE in the master's /json/", 90_000, () => {
                    const r = docker(
                        [
                            "exec",
                            names[0],
                            "python3",
                            "-c",
                            `import urllib.request;print(urllib.request.urlopen("http://127.0.0.1:${ui}/json/").read().decode())`,
                        ],
                        {
                            allowFail: true,
                        },
                    );
                    // While the master's UI starts, Jetty may answer with an HTML page: not yet.
                    try {
                        return r.code === 0 && (JSON.parse(r.stdout).workers as { state: string }[]).some((w) => w.state === "ALIVE");
                    } catch {
                        return false;
                    }
                });
            } catch (e) {
                // What each daemon said: the reason is in there, not in the timeout.
                const logs = names.map((n) => {
                    const r = docker(["logs", "--tail", "40", n], { allowFail: true });
                    return `--- ${n} ---\n${r.stdout}${r.stderr}`;
                });
                throw new Error(`${String(e)}\n${logs.join("\n")}`);
            }
            const grace = 20;
            for (const name of [names[1], names[0]]) {
                const t0 = Date.now();
                docker(["stop", "-t", String(grace), name]);
                const took = (Date.now() - t0) / 1000;
                const [state] = JSON.parse(docker(["inspect", name]).stdout).map((c: any) => c.State);
                note(`docker stop ${name}: ${took.toFixed(1)}s, exit ${state.ExitCode}`);
                assert.ok(took < grace, `${name} took ${took}s: the grace period ran out (SIGKILL)`);
                assert.ok(state.ExitCode === 0 || state.ExitCode === 143, `${name} exit ${state.ExitCode}`);
            }
        } finally {
            docker(["rm", "-f", ...names], { allowFail: true });
        }
    });
});

describe("the local stack on real nodes", function () {
    this.timeout(600_000);
    let prometheus: Prometheus | undefined;

    before(() => {
        // The local stack's own config, on the previous Spark line first (spec 5 upgrades).
        writeStackConfig(STACK, {
            ...localStackConfig(),
            "spark-on-k8s:sparkVersion": VERSIONS.previous,
            "spark-on-k8s:image": sparkImage(VERSIONS.previous),
            // Monitoring on from the start, on the Prometheus Operator's real CRDs: spec 1b scrapes the
            // previous Spark line, spec 16 the current one.
            "spark-on-k8s:monitoring": MONITORING,
        });
        installPromCrds();
        initStack(STACK);
        const cwd = JOB_DIR();
        pulumi(["stack", "init", STACK, "--secrets-provider", "passphrase"], { cwd });
        // Two executors of one core each: one on each worker.
        pulumi(["config", "set", "--stack", STACK, "spark-job:totalExecutorCores", "2"], { cwd });
    });

    after(function () {
        this.timeout(300_000);
        prometheus?.stop();
        pulumi(["destroy", "--yes", "--skip-preview", "--stack", STACK], { cwd: JOB_DIR(), allowFail: true });
        pulumi(["destroy", "--yes", "--skip-preview", "--stack", STACK], { allowFail: true });
    });

    it("1. pulumi up: master and workers Running, every worker ALIVE with the configured cores and memory", async () => {
        const took = up();
        const t0 = Date.now();
        const m = await waitForAliveWorkers(2);
        note(`pulumi up ${took.toFixed(1)}s, then ${((Date.now() - t0) / 1000).toFixed(1)}s to 2 workers ALIVE`);
        assert.strictEqual(running("master").length, 1);
        assert.strictEqual(running("worker").length, 2);
        for (const w of alive(m)) {
            assert.strictEqual(w.cores, WORKER_CORES, `worker ${w.id} cores`);
            assert.strictEqual(w.memory, WORKER_OFFERED_MB, `worker ${w.id} memory (MB)`);
        }
        // The workers registered from their pods: their addresses are the pods' IPs.
        const ips = running("worker")
            .map((p) => p.status.podIP)
            .sort();
        assert.deepStrictEqual(
            alive(m)
                .map((w) => w.host)
                .sort(),
            ips,
        );
        const out = outputs(STACK);
        assert.strictEqual(out.image, sparkImage(VERSIONS.previous));
        assert.strictEqual(out.masterUrl, `spark://spark-master.${NS}.svc.cluster.local:7077`);
    });

    it(`1b. monitoring: a real Prometheus configured from the stack's PodMonitors discovers the master and both workers through the API server, scrapes every metric the rules and the dashboard use (${VERSIONS.previous}), and the recording rules count them`, async () => {
        prometheus = await startPrometheus();
        const targets = await waitFor("3 scraped targets up (master, 2 workers)", 90_000, async () => {
            const t = (await prometheus!.targets()).filter((x) => x.labels.namespace === NS);
            return t.length === 3 && t.every((x) => x.health === "up") ? t : undefined;
        }).catch(async (e: Error) => {
            throw new Error(`${e.message}\ntargets: ${JSON.stringify(await prometheus!.targets())}\n${prometheus!.log().slice(-2000)}`);
        });
        // Labelled as the rules select: the pods' own labels copied by the PodMonitors' relabelings.
        assert.deepStrictEqual(
            targets.map((t) => `${t.labels.spark_cluster}/${t.labels.spark_role}/${t.labels.pod}`).sort(),
            [...running("master"), ...running("worker")]
                .map((p) => `spark/${p.metadata.labels["app.kubernetes.io/component"]}/${p.metadata.name}`)
                .sort(),
        );
        await expectSparkMetrics(prometheus, VERSIONS.previous);
        // The recording rules on real numbers: 2 workers of 1 core and 544 MB each.
        for (const [record, want] of [
            ["spark:alive_workers", 2],
            ["spark:cores_offered", 2 * WORKER_CORES],
            ["spark:memory_offered_mb", 2 * WORKER_OFFERED_MB],
        ] as const) {
            await waitFor(`${record} = ${want}`, 60_000, async () => {
                const [sample] = await prometheus!.query(`${record}{namespace="${NS}",spark_cluster="spark"}`);
                return sample !== undefined && Number(sample.value[1]) === want;
            });
        }
        note(
            `prometheus ${prometheus.url}: ${targets.length} targets up; every rule and dashboard metric scraped from ${VERSIONS.previous}`,
        );
    });

    it("2. a job submitted as users submit it (the consumer stack examples/spark-job) runs and prints pi", async () => {
        const pi = await runJob(4);
        assert.ok(Math.abs(pi - Math.PI) < 0.05, `PI=${pi}`);
    });

    it("3. workerReplicas 2 -> 1 -> 2: the master sees the new number; the removed worker leaves cleanly", async () => {
        const before = alive(masterJson());
        try {
            setConfig({ workerReplicas: 1 });
            const t0 = Date.now();
            up();
            const m = await waitForAliveWorkers(1, 120_000);
            note(`scale-down: 1 worker ALIVE after ${((Date.now() - t0) / 1000).toFixed(1)}s`);
            await waitFor("the removed worker pod gone", 120_000, () => pods("worker").length === 1);
            const gone = before.filter((w) => !alive(m).some((a) => a.id === w.id));
            assert.strictEqual(gone.length, 1);
            expectDecommissioned(gone[0].id);
        } finally {
            // Back to two workers even when a check above failed, so the next specs start as planned.
            setConfig({ workerReplicas: 2 });
            up();
        }
        await waitForAliveWorkers(2, 120_000);
    });

    it("4a. a deleted worker pod comes back and re-registers", async () => {
        const [victim] = running("worker");
        kubectl(["-n", NS, "delete", "pod", victim.metadata.name, "--wait=false"]);
        await waitFor(
            "a replacement worker Running",
            180_000,
            () => running("worker").filter((p) => p.metadata.name !== victim.metadata.name).length === 2,
        );
        // The ALIVE workers become exactly the running pods: the replacement registered (and
        // the deleted one left). Two ALIVE alone could still be the deleted one, not yet gone.
        const sameHosts = () => {
            const hosts = alive(masterJson())
                .map((w) => w.host)
                .sort();
            const ips = running("worker")
                .map((p) => p.status.podIP)
                .sort();
            return JSON.stringify(hosts) === JSON.stringify(ips) && ips.length === 2 ? hosts : undefined;
        };
        try {
            await waitFor("the ALIVE workers to be the running worker pods", 180_000, sameHosts);
        } catch (e) {
            throw withWorkerLogs(e);
        }
    });

    it("4b. a running job survives the loss of one worker", async () => {
        const pi = await runJob(300, async () => {
            // Once the app runs executors on both workers, one worker pod goes.
            await waitFor("the job's executors on both workers", 240_000, () => {
                const m = masterJson();
                return (m?.activeapps ?? []).some((a) => a.state === "RUNNING" && a.cores >= 2);
            });
            await sleep(3000);
            const [victim] = running("worker");
            note(`deleting worker pod ${victim.metadata.name} while the job runs`);
            kubectl(["-n", NS, "delete", "pod", victim.metadata.name, "--grace-period=1", "--wait=false"]);
        });
        assert.ok(Math.abs(pi - Math.PI) < 0.05, `PI=${pi}`);
        await waitForAliveWorkers(2, 180_000);
    });

    it(`5. sparkVersion ${VERSIONS.previous} -> ${VERSIONS.current} (image with it) rolls the cluster, and a job runs after it`, async () => {
        setConfig({ sparkVersion: VERSIONS.current, image: sparkImage(VERSIONS.current) });
        const took = up();
        const m = await waitForAliveWorkers(2, 240_000);
        note(`upgrade: pulumi up ${took.toFixed(1)}s`);
        for (const p of [...running("master"), ...running("worker")]) {
            assert.strictEqual(p.spec.containers[0].image, sparkImage(VERSIONS.current), p.metadata.name);
        }
        for (const w of alive(m)) {
            assert.strictEqual(w.cores, WORKER_CORES);
            assert.strictEqual(w.memory, WORKER_OFFERED_MB);
        }
        assert.strictEqual(outputs(STACK).sparkVersion, VERSIONS.current);
        const pi = await runJob(4);
        assert.ok(Math.abs(pi - Math.PI) < 0.05, `PI=${pi}`);
    });

    it("6. a worker-only change (workerScratchSize 4Gi -> 1Gi) rolls the workers without ever leaving fewer than workerReplicas - workerMaxUnavailable registered", async () => {
        const [master] = running("master");
        const oldWorkers = running("worker").map((p) => p.metadata.name);
        setConfig({ workerScratchSize: "1Gi" });
        // The master's ALIVE workers, sampled through the whole `up` (readiness = registered, so
        // the rollout takes the next worker down only once the new one serves the cluster).
        const samples: number[] = [];
        const t0 = Date.now();
        await upWhile(project, async (done) => {
            while (!done()) {
                const m = masterJson();
                samples.push(m?.status === "ALIVE" ? alive(m).length : 0);
                await sleep(300);
            }
        });
        const took = (Date.now() - t0) / 1000;
        const m = await waitForAliveWorkers(2, 60_000);
        const min = Math.min(...samples);
        note(
            `rollout: pulumi up ${took.toFixed(1)}s, ${samples.length} samples of the master, at least ${min} registered worker(s) (2 - workerMaxUnavailable 1 = 1)`,
        );
        assert.ok(samples.length >= 10, `only ${samples.length} samples`);
        assert.ok(min >= 1, `the master had ${min} registered workers during the rollout: ${samples.join(" ")}`);
        // It rolled the workers and nothing else: new worker pods, the same master.
        const workers = running("worker");
        assert.ok(
            workers.every((p) => !oldWorkers.includes(p.metadata.name)),
            "workers not replaced",
        );
        assert.deepStrictEqual(
            running("master").map((p) => p.metadata.name),
            [master.metadata.name],
        );
        const tmp = workers[0].spec.volumes.find((v: any) => v.name === "tmp");
        // The API server stores the program's 1024Mi in canonical form.
        assert.ok(["1Gi", "1024Mi"].includes(tmp.emptyDir.sizeLimit), `tmp sizeLimit ${tmp.emptyDir.sizeLimit}`);
        assert.strictEqual(alive(m).length, 2);
    });

    it("7. a task that writes past one worker's scratch limit gets that worker evicted alone; its task reruns elsewhere and the next job succeeds", async () => {
        const [master] = running("master");
        const before = running("worker").map((p) => p.metadata.name);
        const t0 = Date.now();
        let evictedAt = 0;
        let victim: any;
        const job = runScriptJob("fill-scratch", FILL_SCRIPT, ["1200"], 300_000);
        try {
            victim = await waitFor("a worker pod evicted", 240_000, () =>
                pods("worker").find((p) => p.status.phase === "Failed" && p.status.reason === "Evicted"),
            );
            evictedAt = Date.now();
            note(
                `worker ${victim.metadata.name} evicted ${((evictedAt - t0) / 1000).toFixed(1)}s after the job's start: ${victim.status.message}`,
            );
        } catch (e) {
            await job.catch(() => undefined);
            throw withWorkerLogs(e);
        }
        const { succeeded, log } = await job;
        assert.ok(succeeded && /^ROWS=1000$/m.test(log), `fill-scratch did not finish with ROWS=1000:\n${log.slice(-3000)}`);
        assert.match(victim.status.message, /tmp|ephemeral/i);
        await waitForAliveWorkers(2, 180_000);
        note(`a replacement worker ALIVE ${((Date.now() - evictedAt) / 1000).toFixed(1)}s after the eviction`);
        // Only that pod: the other worker and the master are the same pods, every node still Ready.
        const survivor = before.find((n) => n !== victim.metadata.name);
        const survivorPod = running("worker").find((p) => p.metadata.name === survivor);
        assert.ok(survivorPod, `the other worker ${survivor} is gone`);
        assert.strictEqual(survivorPod.status.containerStatuses[0].restartCount, 0);
        assert.deepStrictEqual(
            running("master").map((p) => p.metadata.name),
            [master.metadata.name],
        );
        assert.strictEqual(nodesReady().length, NODES);
        kubectl(["-n", NS, "delete", "pod", victim.metadata.name, "--wait=false"]);
        const pi = await runJob(6);
        assert.ok(Math.abs(pi - Math.PI) < 0.05, `PI=${pi}`);
    });

    it("8. historyServer on: the History Server runs in its pod and lists a finished job's application", async () => {
        // CPU: master 1 + History Server 0.5 + driver 1 leave one worker of 1 on 2 nodes of 2.
        setConfig({ historyServer: true, workerReplicas: 1 });
        try {
            up();
            await waitForAliveWorkers(1, 120_000);
            await waitFor("the History Server Ready", 180_000, () => pods("history").some(isReady));
            assert.strictEqual(outputs(STACK).historyServerUrl, `http://spark-history.${NS}.svc.cluster.local:18080`);
            const t0 = Date.now();
            const pi = await runJob(2);
            assert.ok(Math.abs(pi - Math.PI) < 0.05, `PI=${pi}`);
            // The newest spark-pi (ids are app-<start time>-<sequence>): the master also lists earlier jobs.
            const [app] = (masterJson()?.completedapps ?? []).filter((a) => a.name === "spark-pi").sort((a, b) => b.id.localeCompare(a.id));
            assert.ok(app, "the job's application is not among the master's completed apps");
            const listed = await waitFor(`${app.id} completed in the History Server's REST API`, 120_000, () => {
                const r = kubectl(["get", "--raw", `/api/v1/namespaces/${NS}/services/spark-history:18080/proxy/api/v1/applications`], {
                    allowFail: true,
                });
                if (r.code !== 0) {
                    return undefined;
                }
                const found = (JSON.parse(r.stdout) as any[]).find((a) => a.id === app.id);
                return found?.attempts?.[0]?.completed ? found : undefined;
            });
            note(
                `History Server lists ${listed.id} (${listed.name}) completed, ${((Date.now() - t0) / 1000).toFixed(1)}s after the job's submission`,
            );
            assert.strictEqual(listed.name, "spark-pi");
        } finally {
            // The job's pod mounts the event-log claim, and even a Completed pod holds a claim
            // (pvc-protection): the claim's deletion, and with it `up`, would wait for the pod.
            // As a user would, the clients go first; the next runJob brings the Job back.
            pulumi(["destroy", "--yes", "--skip-preview", "--stack", STACK], { cwd: JOB_DIR() });
            setConfig({ historyServer: false, workerReplicas: 2 });
            up();
        }
        await waitForAliveWorkers(2, 120_000);
    });

    it("9. NetworkPolicy enforced: RPC closed to strangers in and outside the namespace, open to client pods; big task results and a cross-node shuffle pass in client and cluster mode", async function () {
        const state = networkPolicyState();
        if (state !== "enforced") {
            note(`spec 9 SKIPPED: NetworkPolicy ${state}`);
            this.skip();
        }
        // spark-submit from a client pod, under the policy (and the consumer's Job back after spec 8).
        const pi = await runJob(5);
        assert.ok(Math.abs(pi - Math.PI) < 0.05, `PI=${pi}`);
        // The shuffle below must cross nodes: one worker on each.
        if (new Set(running("worker").map((p) => p.spec.nodeName)).size < 2) {
            const [w] = running("worker");
            kubectl(["-n", NS, "delete", "pod", w.metadata.name, "--wait=true"]);
            await waitForAliveWorkers(2, 180_000);
        }
        const workers = running("worker");
        assert.strictEqual(new Set(workers.map((p) => p.spec.nodeName)).size, 2, "the workers share a node");
        const master = running("master")[0];

        // Two strangers: a pod in the namespace with the RPC secret but not the client label (made
        // from the consumer's own pod template), and a pod labelled as a client in another namespace.
        const OUTSIDER = "spark-outsider";
        const stranger = exampleTemplate();
        delete stranger.metadata.labels["spark-on-k8s/client"];
        const [sc] = stranger.spec.containers;
        const strangerArgs: string[] = sc.args;
        sc.command = ["sleep", "3600"];
        sc.args = [];
        // No CPU request: the nodes' CPUs are taken by the cluster and the jobs.
        sc.resources = { requests: { cpu: "0", memory: "1Gi" }, limits: { cpu: "1", memory: "1Gi" } };
        const probes = [
            { apiVersion: "v1", kind: "Namespace", metadata: { name: OUTSIDER } },
            {
                apiVersion: "v1",
                kind: "Pod",
                metadata: { name: "netpol-stranger", namespace: NS, labels: stranger.metadata.labels },
                spec: stranger.spec,
            },
            {
                apiVersion: "v1",
                kind: "Pod",
                metadata: { name: "netpol-outsider", namespace: OUTSIDER, labels: { "spark-on-k8s/client": "true" } },
                spec: { containers: [{ name: "probe", image: sc.image, imagePullPolicy: "IfNotPresent", command: ["sleep", "3600"] }] },
            },
        ];
        const strangers: [string, string][] = [
            [NS, "netpol-stranger"],
            [OUTSIDER, "netpol-outsider"],
        ];
        const policy = kubectlJson(["-n", NS, "get", "networkpolicy", "spark-spark"]);
        kubectl(["apply", "-f", "-"], { input: JSON.stringify({ apiVersion: "v1", kind: "List", items: probes }) });
        const hold: ScriptJob = { name: "netpol-hold", script: HOLD_SCRIPT, timeoutMs: 300_000 };
        try {
            await waitFor("the probe pods Ready", 120_000, () =>
                strangers.every(([ns, pod]) => isReady(kubectlJson(["-n", ns, "get", "pod", pod]))) ? true : undefined,
            );
            // A real Spark client without the label: spark-submit with the consumer's own arguments
            // never registers. It takes a minute to give up, so it runs while the ports are checked
            // (read-only), and is awaited before the pod is labelled a client.
            const ip = kubectlJson(["-n", NS, "get", "pod", "netpol-stranger"]).status.podIP;
            const args = strangerArgs.map((a) => a.replace("$(POD_IP)", ip));
            args[args.indexOf("--name") + 1] = "netpol-stranger";
            const t0 = Date.now();
            const strangerSubmit = kubectlAsync([
                "-n",
                NS,
                "exec",
                "netpol-stranger",
                "--",
                "timeout",
                "150",
                "/opt/entrypoint.sh",
                ...args,
            ]);
            // An application with an executor on each worker: their block managers' ports.
            startScriptJob(hold);
            const app = await waitFor("netpol-hold running on both workers", 180_000, () =>
                (masterJson()?.activeapps ?? []).find((a) => a.name === "netpol-hold" && a.state === "RUNNING" && a.cores >= 2),
            );
            const executors = await waitFor("both executors' block manager ports", 120_000, () => {
                const ports = [...executorLogs(app.id).matchAll(/NettyBlockTransferService' on port (\d+)/g)].map((m) => Number(m[1]));
                return ports.length >= 2 ? ports : undefined;
            });
            // Which executor port is on which worker: ask each worker pod for its own.
            const executorTargets = workers.map((w) => {
                const log = kubectl(["-n", NS, "exec", w.metadata.name, "--", "sh", "-c", `cat /opt/spark/work/${app.id}/*/stdout`]).stdout;
                const m = /NettyBlockTransferService' on port (\d+)/.exec(log);
                assert.ok(m, `no executor of ${app.id} on ${w.metadata.name}`);
                return { what: `executor block manager ${w.status.podIP}:${m[1]}`, ip: w.status.podIP, port: Number(m[1]) };
            });
            assert.strictEqual(executorTargets.length, executors.length);
            const rpc = [
                { what: "master RPC", ip: master.status.podIP, port: 7077 },
                ...workers.map((w) => ({ what: `worker RPC ${w.status.podIP}`, ip: w.status.podIP, port: 7078 })),
                ...executorTargets,
            ];
            const uis = [
                { what: "master UI", ip: master.status.podIP, port: 8080 },
                ...workers.map((w) => ({ what: `worker UI ${w.status.podIP}`, ip: w.status.podIP, port: 8081 })),
            ];
            const verdicts = (ns: string, pod: string, targets: typeof rpc) => {
                const open = connectsAll(ns, pod, targets);
                return targets.map((t, i) => `${t.what}: ${open[i] ? "open" : "closed"}`);
            };
            const all = (targets: typeof rpc, v: string) => targets.map((t) => `${t.what}: ${v}`);
            for (const [ns, pod] of strangers) {
                assert.deepStrictEqual(verdicts(ns, pod, rpc), all(rpc, "closed"), `${ns}/${pod} reached RPC`);
                assert.deepStrictEqual(verdicts(ns, pod, uis), all(uis, "open"), `${ns}/${pod} could not reach a UI`);
            }
            const r = await strangerSubmit;
            const said = `${r.stdout}\n${r.stderr}`;
            assert.notStrictEqual(r.code, 0, "spark-submit from an unlabelled pod succeeded");
            assert.match(said, /All masters are unresponsive|Failed to connect to master|Connection timed out/, said.slice(-3000));
            const m = masterJson();
            assert.ok(
                ![...(m?.activeapps ?? []), ...(m?.completedapps ?? [])].some((a) => a.name === "netpol-stranger"),
                "the master registered the stranger's application",
            );
            note(
                `spark-submit from the unlabelled pod gave up after ${((Date.now() - t0) / 1000).toFixed(1)}s (exit ${r.code}); the master never listed it`,
            );
            // The same pod with the client label: RPC open.
            kubectl(["-n", NS, "label", "pod", "netpol-stranger", "spark-on-k8s/client=true"]);
            assert.deepStrictEqual(verdicts(NS, "netpol-stranger", rpc), all(rpc, "open"), "a client pod could not reach RPC");
            kubectl(["-n", NS, "label", "pod", "netpol-stranger", "spark-on-k8s/client-"]);
            note(
                `strangers (${strangers.map((s) => s.join("/")).join(", ")}): ${rpc.length} RPC ports closed, ${uis.length} UIs open; the client label opens them`,
            );

            // Without the policy the same strangers get through: the checks above can fail.
            kubectl(["-n", NS, "delete", "networkpolicy", "spark-spark"]);
            try {
                await waitFor("the strangers through without the policy", 90_000, () =>
                    strangers.every(([ns, pod]) => verdicts(ns, pod, rpc).every((v) => v.endsWith("open"))) ? true : undefined,
                );
            } finally {
                const { name, namespace, labels, annotations } = policy.metadata;
                kubectl(["apply", "-f", "-"], { input: JSON.stringify({ ...policy, metadata: { name, namespace, labels, annotations } }) });
            }
            await waitFor("the strangers closed out again", 90_000, () =>
                strangers.every(([ns, pod]) => verdicts(ns, pod, rpc).every((v) => v.endsWith("closed"))) ? true : undefined,
            );
        } finally {
            kubectl(["-n", NS, "delete", "job", hold.name, "--ignore-not-found", "--wait=true"], { allowFail: true });
            kubectl(["-n", NS, "delete", "configmap", hold.name, "--ignore-not-found"], { allowFail: true });
            kubectl(["-n", NS, "delete", "pod", "netpol-stranger", "--ignore-not-found", "--wait=true", "--grace-period=1"], {
                allowFail: true,
            });
            kubectl(["delete", "namespace", OUTSIDER, "--ignore-not-found", "--wait=false"], { allowFail: true });
        }

        // Client mode: the driver in a client pod fetches results from both executors' block
        // managers, and the executors fetch shuffle blocks from each other across the nodes.
        const client = await runScriptJob("netpol-client", NET_SCRIPT, [], 300_000, TWO_EXECUTORS);
        assert.ok(client.succeeded, `netpol-client failed:\n${client.log.slice(-3000)}`);
        assert.match(client.log, /^BIG=4x2097152$/m);
        assert.match(client.log, /^SHUFFLE=1000,200000$/m);
        const hosts = /^EXECUTOR_HOSTS=(.*)$/m.exec(client.log)?.[1].split(",") ?? [];
        assert.deepStrictEqual(
            hosts.filter((h) => workers.some((w) => w.status.podIP === h)).sort(),
            workers.map((w) => w.status.podIP).sort(),
            `executors not on both workers: ${hosts.join(",")}`,
        );
        const clientApp = newestCompleted("netpol-client");
        assert.ok(clientApp, "netpol-client not among the completed applications");
        const viaBlockManager = (id: string) => [...executorLogs(id).matchAll(/bytes result sent via BlockManager/g)].length;
        assert.ok(viaBlockManager(clientApp.id) >= 4, `${clientApp.id}: fewer than 4 results went through the block manager`);

        // Cluster mode: the driver runs on a worker; every result (spark.task.maxDirectResultSize=1)
        // goes from the executor on the other worker through its block manager. Standalone runs
        // no Python application in cluster mode, but it runs any main class from an application
        // "jar" the worker downloads into the driver's directory: Spark's own PythonRunner, with
        // the script served by the submitting pod (a .jar name, so spark-submit does not refuse it).
        const masterUrl = outputs(STACK).masterUrl as string;
        const cluster: ScriptJob = {
            name: "netpol-cluster",
            script: CLUSTER_SCRIPT,
            file: "netpol-cluster.jar",
            timeoutMs: 300_000,
            command: ["sh", "-c", 'cd /opt/script && python3 -m http.server 8000 >/dev/null 2>&1 & exec /opt/entrypoint.sh "$@"', "sh"],
            submit: [
                "submit",
                "--master",
                masterUrl,
                "--deploy-mode",
                "cluster",
                "--name",
                "netpol-cluster",
                "--class",
                "org.apache.spark.deploy.PythonRunner",
                "--conf",
                "spark.standalone.submit.waitAppCompletion=true",
                "--conf",
                "spark.task.maxDirectResultSize=1",
                "--driver-memory",
                "512m",
                "--executor-memory",
                "512m",
                "--total-executor-cores",
                "1",
                "http://$(POD_IP):8000/netpol-cluster.jar",
                "netpol-cluster.jar",
                "",
            ],
        };
        startScriptJob(cluster);
        // A cluster-mode driver outlives its submitter: one that did not finish must not keep a
        // worker's core from the specs after this one (the master UI's kill, from the host).
        const killDrivers = () => {
            for (const d of masterJson()?.activedrivers ?? []) {
                spawnSync("curl", [
                    "-fsS",
                    "--max-time",
                    "10",
                    "-X",
                    "POST",
                    "-d",
                    `id=${d.id}&terminate=true`,
                    `http://${running("master")[0].status.podIP}:8080/driver/kill/`,
                ]);
                note(`killed ${d.id}, still ${d.state} after the test`);
            }
        };
        let submitted;
        try {
            submitted = await awaitScriptJob(cluster);
        } catch (e) {
            killDrivers();
            throw e;
        }
        assert.ok(submitted.succeeded, `netpol-cluster failed:\n${submitted.log.slice(-3000)}`);
        const driver = /(driver-\d+-\d+)/.exec(submitted.log)?.[1];
        assert.ok(driver, `no driver id in the submission's log:\n${submitted.log.slice(-2000)}`);
        // The driver's own output, in the work dir of the worker that ran it.
        const driverFile = (f: string) =>
            running("worker")
                .map(
                    (p) =>
                        kubectl(
                            ["-n", NS, "exec", p.metadata.name, "--", "sh", "-c", `cat /opt/spark/work/${driver}/${f} 2>/dev/null || true`],
                            {
                                allowFail: true,
                            },
                        ).stdout,
                )
                .join("");
        if (!new RegExp(`State of (driver )?${driver} is FINISHED`).test(submitted.log)) {
            killDrivers();
            const restarts = running("worker").map(
                (p) => `${p.metadata.name}: ${JSON.stringify(p.status.containerStatuses?.[0]?.lastState ?? {})}`,
            );
            assert.fail(
                `${driver} did not finish:\n${submitted.log.slice(-1500)}\n--- its stdout:\n${driverFile("stdout").slice(-2000)}\n--- its stderr:\n${driverFile("stderr").slice(-5000)}\n--- workers: ${restarts.join("; ")}`,
            );
        }
        assert.match(driverFile("stdout"), /^PI=3\.1/m);
        const clusterApp = newestCompleted("netpol-cluster");
        assert.ok(clusterApp, "the cluster-mode application is not among the completed ones");
        assert.ok(viaBlockManager(clusterApp.id) >= 20, `${clusterApp.id}: fewer than 20 results went through the block manager`);
        note(
            `under the policy: client mode BIG and SHUFFLE across ${hosts.length - 1} executors, cluster mode ${driver} FINISHED with every result via the block manager`,
        );
    });

    it("10. networkEgress on: Spark pods reach their own and client pods (jobs run) but nothing else, until its CIDR is listed", async () => {
        // Somewhere that is not the cluster's pods: a listener in a namespace of its own.
        const ELSEWHERE = "spark-elsewhere";
        const listener = {
            apiVersion: "v1",
            kind: "Pod",
            metadata: { name: "listener", namespace: ELSEWHERE },
            spec: {
                containers: [
                    {
                        name: "http",
                        image: running("master")[0].spec.containers[0].image,
                        imagePullPolicy: "IfNotPresent",
                        command: ["python3", "-m", "http.server", "8000"],
                    },
                ],
            },
        };
        kubectl(["apply", "-f", "-"], {
            input: JSON.stringify({
                apiVersion: "v1",
                kind: "List",
                items: [{ apiVersion: "v1", kind: "Namespace", metadata: { name: ELSEWHERE } }, listener],
            }),
        });
        try {
            const target = await waitFor("the listener Ready", 120_000, () => {
                const p = kubectlJson(["-n", ELSEWHERE, "get", "pod", "listener"]);
                return isReady(p) ? (p.status.podIP as string) : undefined;
            });
            const fromWorker = () => connects(NS, running("worker")[0].metadata.name, target, 8000);
            const toMaster = () => connects(NS, running("worker")[0].metadata.name, running("master")[0].status.podIP, 7077);
            assert.ok(fromWorker(), "without egress control a worker cannot reach the listener: the check below could not fail");

            setConfig({ networkEgress: "{}" });
            up();
            assert.ok(
                await waitFor("the listener closed to a worker", 60_000, () => !fromWorker()),
                "egress on: a worker still reaches the listener",
            );
            assert.ok(toMaster(), "egress on: a worker cannot reach its master");
            // A client-mode job: executors connect back to the driver in its client pod.
            const pi = await runJob(7);
            assert.ok(Math.abs(pi - Math.PI) < 0.05, `PI=${pi}`);

            setConfig({ networkEgress: JSON.stringify({ allowCidrs: [`${target}/32`] }) });
            up();
            assert.ok(await waitFor("the listed CIDR open to a worker", 60_000, () => fromWorker()), "a listed CIDR is still closed");
            note(`egress on: listener ${target}:8000 closed to workers, master open, job PI=${pi}; open once ${target}/32 is listed`);
        } finally {
            setConfig({ networkEgress: "" });
            up();
            kubectl(["delete", "namespace", ELSEWHERE, "--ignore-not-found", "--wait=false"], { allowFail: true });
        }
    });

    it("11. a master deleted while a job runs comes back with its workers and the application (masterRecovery), and the job finishes", async () => {
        let appId = "";
        let seconds = 0;
        const pi = await runJob(300, async () => {
            const app = await waitFor("the job's executors on both workers", 240_000, () =>
                (masterJson()?.activeapps ?? []).find((a) => a.state === "RUNNING" && a.cores >= 2),
            );
            appId = app.id;
            await sleep(3000);
            const [master] = running("master");
            note(`deleting master pod ${master.metadata.name} while ${appId} runs`);
            kubectl(["-n", NS, "delete", "pod", master.metadata.name, "--grace-period=1", "--wait=false"]);
            const t0 = Date.now();
            // Recreate: the old master is gone before the new one mounts the recovery claim.
            await waitFor("a new master pod Running", 180_000, () =>
                running("master").some((p) => p.metadata.name !== master.metadata.name),
            );
            await waitFor(`${appId} RUNNING on the new master`, 180_000, () => {
                const m = masterJson();
                return m?.status === "ALIVE" && m.activeapps.some((a) => a.id === appId && a.state === "RUNNING") ? true : undefined;
            });
            seconds = (Date.now() - t0) / 1000;
            // Workers retry the master they registered with: after a restart that must be the
            // Service name, not the old pod's IP (spark.worker.preferConfiguredMasterAddress).
            await waitForAliveWorkers(2, 120_000);
            note(`application RUNNING again ${seconds.toFixed(1)}s after the master pod's deletion; both workers back`);
        });
        assert.ok(Math.abs(pi - Math.PI) < 0.05, `PI=${pi}`);
        const m = masterJson();
        assert.ok(
            m?.completedapps.some((a) => a.id === appId && a.state === "FINISHED"),
            `${appId} not FINISHED on the new master: ${JSON.stringify(m?.completedapps)}`,
        );
        assert.ok(running("master")[0].spec.volumes.some((v: any) => v.persistentVolumeClaim?.claimName === "spark-master-recovery"));
    });
    it("12. a driver idle across a master restart (executors kept, no job running) runs its next job through the new master", async () => {
        const job: ScriptJob = { name: "idle-driver", script: IDLE_SCRIPT, timeoutMs: 400_000 };
        startScriptJob(job);
        try {
            const pod = await waitForIdleDriver(job);
            const [master] = running("master");
            kubectl(["-n", NS, "delete", "pod", master.metadata.name, "--grace-period=1", "--wait=false"]);
            const t0 = Date.now();
            await waitFor("a new master pod Running", 180_000, () =>
                running("master").some((p) => p.metadata.name !== master.metadata.name),
            );
            await waitFor(`${pod.appId} RUNNING on the new master`, 180_000, () => {
                const m = masterJson();
                return m?.status === "ALIVE" && m.activeapps.some((a) => a.id === pod.appId && a.state === "RUNNING") ? true : undefined;
            });
            await waitForAliveWorkers(2, 120_000);
            note(`idle application ${pod.appId} RUNNING again ${((Date.now() - t0) / 1000).toFixed(1)}s after the master pod's deletion`);
            // Its next job, through the new master.
            kubectl(["-n", NS, "exec", pod.name, "--", "touch", "/tmp/idle-go"]);
            const r = await awaitScriptJob(job);
            assert.ok(r.succeeded, `the idle driver failed:\n${r.log.slice(-3000)}`);
            assert.match(r.log, /^AFTER_COUNT=1000$/m);
            assert.ok(
                masterJson()?.completedapps.some((a) => a.id === pod.appId && a.state === "FINISHED"),
                `${pod.appId} not FINISHED on the new master`,
            );
        } finally {
            kubectl(["-n", NS, "delete", "job,configmap", job.name, "--ignore-not-found", "--wait=false"], { allowFail: true });
        }
    });

    it("13. networkCrypto (on with rpcAuth): rows shuffled between executors on two nodes cross the bridge in no readable form; with networkCrypto false they are readable (the check can fail)", async () => {
        const workers = running("worker");
        assert.strictEqual(new Set(workers.map((w) => w.spec.nodeName)).size, 2, "the two workers are not on two nodes");
        const onBothWorkers = (log: string) =>
            assert.deepStrictEqual(
                (/^EXECUTOR_HOSTS=(.*)$/m.exec(log)?.[1].split(",") ?? []).filter((h) => workers.some((w) => w.status.podIP === h)).sort(),
                workers.map((w) => w.status.podIP).sort(),
                `executors not on both workers:\n${log.slice(-2000)}`,
            );
        const encrypted = await shuffleUnderCapture("crypto-on", {});
        onBothWorkers(encrypted.log);
        // The rows crossed between pods (the capture saw the shuffle), none of them readable.
        assert.ok(encrypted.capture.interHostBytes > CRYPTO_ROWS * 10, `only ${encrypted.capture.interHostBytes} bytes between pods`);
        assert.strictEqual(encrypted.capture.markerHits, 0, `marker in clear text in ${encrypted.capture.flowsWithMarker.join(", ")}`);

        setConfig({ networkCrypto: false });
        try {
            up();
            await waitForAliveWorkers(2, 180_000);
            const plain = await shuffleUnderCapture("crypto-off", { SPARK_NETWORK_CRYPTO: undefined });
            assert.ok(
                plain.capture.markerHits > 0,
                "the marker crossed in no readable form without encryption: the capture proves nothing",
            );
        } finally {
            const config = readStackConfig(STACK);
            delete config["spark-on-k8s:networkCrypto"];
            writeStackConfig(STACK, config);
            up();
            await waitForAliveWorkers(2, 180_000);
        }
    });

    it("14. the master UI through the printed portForwardCommand links every worker's UI and a running application's UI through its reverse proxy, and those pages load, in a real browser too; JSON and metrics too", async () => {
        // The example stack's batch job turns its driver's UI off; this driver keeps it.
        const job: ScriptJob = { name: "ui-driver", script: IDLE_SCRIPT, options: ["--conf", "spark.ui.enabled=true"], timeoutMs: 400_000 };
        const printed = outputs(STACK).portForwardCommand as string;
        startScriptJob(job);
        let forward: PortForward | undefined;
        try {
            const driver = await waitForIdleDriver(job);
            forward = await portForward(printed, 8080, 8080);
            const base = `http://127.0.0.1:${forward.local}`;
            const get = async (p: string) => {
                const r = await fetch(base + p);
                return { status: r.status, path: r.url.slice(base.length), body: await r.text() };
            };
            const hrefs = (html: string) => [...html.matchAll(/href="([^"]+)"/g)].map((m) => m[1].replace(/&amp;/g, "&"));

            const master = await get("/");
            assert.strictEqual(master.status, 200, `GET / through the port-forward: ${master.status}\n${forward.log()}`);
            const links = hrefs(master.body);
            const workers = (masterJson()?.workers ?? []).filter((w) => w.state === "ALIVE");
            assert.strictEqual(workers.length, 2, "ALIVE workers");
            const seen: string[] = [];
            const workerHrefs: string[] = [];
            for (const w of workers) {
                const href = links.find((l) => l.replace(/\/$/, "") === `/proxy/${w.id}`);
                assert.ok(href, `the master page does not link worker ${w.id} through the proxy; its links: ${links.join(" ")}`);
                workerHrefs.push(href);
                const page = await get(href);
                assert.strictEqual(page.status, 200, `${href}: ${page.status}`);
                assert.match(page.body, new RegExp(`Spark Worker at ${w.host.replace(/\./g, "\\.")}:`), `${href} is not ${w.id}'s page`);
                // Its executors' log links stay under its proxy path.
                const logLinks = hrefs(page.body).filter((l) => l.includes("logPage"));
                assert.ok(
                    logLinks.length > 0 && logLinks.every((l) => l.startsWith(`/proxy/${w.id}/`)),
                    `${href}'s log links: ${logLinks.join(" ")}`,
                );
                const log = await get(logLinks[0]);
                assert.strictEqual(log.status, 200, `${logLinks[0]}: ${log.status}`);
                seen.push(`${href} (worker page, ${logLinks.length} log links)`);
            }
            const appHref = links.find((l) => l.replace(/\/$/, "") === `/proxy/${driver.appId}`);
            assert.ok(appHref, `the master page does not link ${driver.appId} through the proxy; its links: ${links.join(" ")}`);
            const app = await get(appHref);
            assert.strictEqual(app.status, 200, `${appHref}: ${app.status}`);
            assert.match(app.body, /Spark Jobs/, `${appHref} (now ${app.path}) is not the application's jobs page`);
            const tabs = hrefs(app.body).filter((l) => /\/(jobs|stages|storage|environment|executors)\/$/.test(l));
            assert.ok(
                tabs.length >= 5 && tabs.every((l) => l.startsWith(`/proxy/${driver.appId}/`)),
                `the application's tabs: ${tabs.join(" ")}`,
            );
            const executors = await get(`/proxy/${driver.appId}/executors/`);
            assert.strictEqual(executors.status, 200, "the application's executors tab");
            seen.push(`${appHref} -> ${app.path} (application, ${tabs.length} tabs under the proxy)`);

            // The same walk in a real browser: the links clicked, and every stylesheet, script
            // and image of every page loaded through the tunnel.
            const browser = await launchBrowser();
            try {
                const { page, failed } = await openTab(browser, base);
                await page.goto(`${base}/`);
                assert.match(await page.title(), /^Spark Master at spark:\/\//, "the master page's title in the browser");
                const shots = [await screenshot(page, "master")];
                for (const [i, href] of workerHrefs.entries()) {
                    await page.locator(`a[href="${href}"]`).first().click();
                    await page.waitForURL((u) => u.pathname.startsWith(`/proxy/${workers[i].id}`));
                    await page.waitForLoadState("load");
                    assert.match(await page.title(), /^Spark Worker at /, `the page after clicking ${href}`);
                    shots.push(await screenshot(page, `worker-${i}`));
                    await page.goBack();
                }
                await page.locator(`a[href="${appHref}"]`).first().click();
                await page.waitForURL((u) => u.pathname.startsWith(`/proxy/${driver.appId}/jobs`));
                await page.waitForLoadState("load");
                assert.match(await page.title(), /Spark Jobs$/, `the page after clicking ${appHref}`);
                assert.ok(await page.locator("a", { hasText: "Executors" }).first().isVisible(), "the application's Executors tab");
                shots.push(await screenshot(page, "application"));
                assert.deepStrictEqual(failed, [], "requests that failed while the browser read the pages");
                seen.push(`chromium clicked through the same links; screenshots: ${shots.join(" ")}`);
            } finally {
                await browser.close();
            }

            // The master's JSON and metrics through the same tunnel; a worker's metrics still answer on its own port.
            const json = JSON.parse((await get("/json/")).body) as MasterJson;
            assert.strictEqual(json.status, "ALIVE");
            assert.match((await get("/metrics/prometheus")).body, /^metrics_master_aliveWorkers_Value(\{[^}]*\})? 2$/m);
            const [worker] = running("worker");
            const direct = kubectl([
                "get",
                "--raw",
                `/api/v1/namespaces/${NS}/pods/${worker.metadata.name}:8081/proxy/metrics/prometheus/`,
            ]).stdout;
            assert.match(direct, /^metrics_worker_coresFree_Value/m, "a worker's /metrics/prometheus, read on its own port");
            note(`through \`${printed}\` (local port ${forward.local}): ${seen.join("; ")}`);

            kubectl(["-n", NS, "exec", driver.name, "--", "touch", "/tmp/idle-go"]);
            const r = await awaitScriptJob(job);
            assert.ok(r.succeeded, `the driver failed:\n${r.log.slice(-3000)}`);
        } finally {
            forward?.stop();
            kubectl(["-n", NS, "delete", "job,configmap", job.name, "--ignore-not-found", "--wait=false"], { allowFail: true });
        }
    });

    it("15. connect on: a thin client through the printed connectPortForwardCommand runs a checked aggregation on the workers within its cores cap, the master lists and proxies the server's application; under the NetworkPolicy 15002 is open to client pods only, and a client pod runs the aggregation through connectUrl over TLS", async function () {
        // Connect needs Spark 4: after spec 5 the stack runs it already (run alone, this rolls it there).
        setConfig({ sparkVersion: VERSIONS.current, image: sparkImage(VERSIONS.current), connect: { cores: 1 } });
        let forward: PortForward | undefined;
        let uiForward: PortForward | undefined;
        const PROBE = "connect-probe";
        try {
            const took = up();
            const o = outputs(STACK);
            assert.strictEqual(o.connectUrl, `sc://spark-connect.${NS}.svc.cluster.local:15002`);
            assert.strictEqual(o.connectTokenSecretName, "spark-connect-token");
            const server = await waitFor("the Connect server Ready", 240_000, () => pods("connect").find(isReady));
            const app = await waitFor("the Connect server's application RUNNING on the master", 120_000, () =>
                (masterJson()?.activeapps ?? []).find((a) => a.name === "Spark Connect server" && a.state === "RUNNING"),
            ).catch((e: Error) => {
                const log = kubectl(["-n", NS, "logs", server.metadata.name, "--tail=60"], { allowFail: true });
                const m = masterJson();
                throw new Error(
                    `${e.message}\nmaster: ${JSON.stringify({ workers: m?.workers, activeapps: m?.activeapps })}\n${server.metadata.name}'s log:\n${log.stdout}${log.stderr}`,
                );
            });
            // Its PodMonitor, as the operator would pick it up: the server's own target is scraped.
            if (prometheus) {
                await prometheus.sync();
                const p = prometheus;
                await waitFor('the Connect server scraped (up{spark_role="connect"} = 1)', 90_000, async () => {
                    const [sample] = await p.query(`up{namespace="${NS}",spark_role="connect"}`);
                    return sample?.value[1] === "1";
                });
            } else {
                note("spec 15: the Connect server's scrape not checked: no Prometheus (spec 1b failed)");
            }
            const token = Buffer.from(kubectlJson(["-n", NS, "get", "secret", o.connectTokenSecretName]).data.token, "base64").toString();
            const python = installConnectClient();
            // To the server pod's plain loopback port: the client sends `localhost` no TLS.
            forward = await portForward(o.connectPortForwardCommand as string, 15002, 15003);
            const t0 = Date.now();
            const ok = await runConnectClient(python, forward.local, token, 150_000);
            const firstResult = (Date.now() - t0) / 1000;
            if (!ok.json?.ok) {
                const log = kubectl(["-n", NS, "logs", server.metadata.name, "--tail=40"], { allowFail: true });
                const m = masterJson();
                assert.fail(
                    `the session's aggregation (exit ${ok.status}): ${JSON.stringify(ok.json)}\n${ok.stdout}\n${ok.stderr.slice(-3000)}\nport-forward: ${forward.log().slice(-1000)}\nmaster's apps: ${JSON.stringify(m?.activeapps)}\n${server.metadata.name}'s log:\n${log.stdout}${log.stderr}\nexecutors: ${executorLogs(app.id).slice(-3000)}`,
                );
            }
            const wrong = await runConnectClient(python, forward.local, `${token}x`, 180_000);
            assert.strictEqual(wrong.json?.ok, false, `a wrong token was accepted: ${JSON.stringify(wrong.json)}`);
            assert.match(wrong.json?.error ?? "", /UNAUTHENTICATED|token/i, "the wrong token's refusal");
            const during = (masterJson()?.activeapps ?? []).find((a) => a.id === app.id);
            assert.ok(during && during.cores <= 1, `the server's application holds ${during?.cores} cores, over its cap of 1`);

            // Its UI through the master's reverse proxy, with Connect's own tab.
            uiForward = await portForward(o.portForwardCommand as string, 8080, 8080);
            const r = await fetch(`http://127.0.0.1:${uiForward.local}/proxy/${app.id}/`);
            const body = await r.text();
            assert.strictEqual(r.status, 200, `/proxy/${app.id}/: ${r.status}`);
            assert.ok(body.includes(`/proxy/${app.id}/connect/`), `the Connect server's UI has no Connect tab under the proxy`);
            note(
                `connect: up ${took.toFixed(1)}s; session through \`${o.connectPortForwardCommand}\` (local ${forward.local}) answered in ${firstResult.toFixed(1)}s; wrong token refused (${/UNAUTHENTICATED/.exec(wrong.json?.error ?? "")?.[0] ?? wrong.json?.error?.slice(0, 120)}); ${app.id} under /proxy/ with its Connect tab`,
            );

            // A pod in the namespace, hardened as the namespace requires, mounting what a client
            // pod of this cluster mounts: the CA's ConfigMap and the token's Secret. Unlabelled
            // first, then labelled a client. No CPU request: the master, the workers and the
            // server hold the nodes' CPUs.
            const CA_DIR = "/etc/spark/connect-ca";
            const TOKEN_DIR = "/etc/spark/connect";
            kubectl(["apply", "-f", "-"], {
                input: JSON.stringify({
                    apiVersion: "v1",
                    kind: "Pod",
                    metadata: { name: PROBE, namespace: NS },
                    spec: {
                        automountServiceAccountToken: false,
                        securityContext: { runAsNonRoot: true, runAsUser: 185, fsGroup: 185, seccompProfile: { type: "RuntimeDefault" } },
                        containers: [
                            {
                                name: "probe",
                                image: o.image,
                                imagePullPolicy: "IfNotPresent",
                                command: ["sleep", "3600"],
                                // The thin client, copied in below (the image has python3, not pyspark-client).
                                env: [
                                    { name: "HOME", value: "/client" },
                                    { name: "PYTHONPATH", value: "/client/py" },
                                    { name: "PYTHONDONTWRITEBYTECODE", value: "1" },
                                    { name: "GRPC_DEFAULT_SSL_ROOTS_FILE_PATH", value: `${CA_DIR}/ca.crt` },
                                    { name: "SPARK_CONNECT_TOKEN_FILE", value: `${TOKEN_DIR}/token` },
                                ],
                                resources: {
                                    requests: { cpu: "0", memory: "1Gi", "ephemeral-storage": "1Gi" },
                                    limits: { cpu: "1", memory: "1Gi", "ephemeral-storage": "1Gi" },
                                },
                                securityContext: {
                                    allowPrivilegeEscalation: false,
                                    capabilities: { drop: ["ALL"] },
                                    readOnlyRootFilesystem: true,
                                },
                                volumeMounts: [
                                    { name: "client", mountPath: "/client" },
                                    { name: "ca", mountPath: CA_DIR, readOnly: true },
                                    { name: "token", mountPath: TOKEN_DIR, readOnly: true },
                                ],
                            },
                        ],
                        volumes: [
                            { name: "client", emptyDir: { sizeLimit: "768Mi" } },
                            { name: "ca", configMap: { name: o.connectCaConfigMapName } },
                            { name: "token", secret: { secretName: o.connectTokenSecretName, defaultMode: 0o440 } },
                        ],
                    },
                }),
            });
            await waitFor("the probe pod Ready", 120_000, () => (isReady(kubectlJson(["-n", NS, "get", "pod", PROBE])) ? true : undefined));
            // First-result latency, a figure and not a check: a new Connect session through the
            // port-forward (the client process started to the answer checked) against spark-submit
            // of the same aggregation in a Job pod (Job created to the answer checked: pod start,
            // driver JVM, registration, executors, the job). BENCH_CONNECT_ROUNDS rounds, set by
            // bench/connect-latency.ts; none in the test tier (each round's Job costs half a minute).
            const rounds = Math.max(0, Number(process.env.BENCH_CONNECT_ROUNDS ?? "0"));
            const latency = { connect: [] as number[], submit: [] as number[] };
            for (let i = 0; i < rounds; i++) {
                const t = Date.now();
                const session = await runConnectClient(python, forward.local, token, 150_000);
                assert.strictEqual(session.json?.ok, true, `round ${i}'s session: ${session.stdout}\n${session.stderr.slice(-2000)}`);
                latency.connect.push((Date.now() - t) / 1000);
                // No CPU request: the master, the workers and the server hold the nodes' CPUs.
                const job: ScriptJob = {
                    name: `aggregation-${i}`,
                    script: fs.readFileSync(path.join(JOBS_DIR, "connect_client.py"), "utf8"),
                    args: ["--batch"],
                    // The server's Spark line: the consumer stack's template may still carry the previous one.
                    image: o.image,
                    cpuRequest: "0",
                    timeoutMs: 300_000,
                };
                const submitted = Date.now() / 1000;
                startScriptJob(job);
                const res = await awaitScriptJob(job);
                const line = res.log
                    .split("\n")
                    .filter((l) => l.startsWith("{"))
                    .pop();
                assert.ok(res.succeeded && line !== undefined, `round ${i}'s spark-submit Job:\n${res.log.slice(-3000)}`);
                const result = JSON.parse(line) as { ok: boolean; at: number };
                assert.strictEqual(result.ok, true, `round ${i}'s spark-submit answer: ${line}`);
                latency.submit.push(result.at - submitted);
            }
            if (rounds > 0) {
                const ratio = median(latency.connect) / median(latency.submit);
                note(
                    `connect first-result latency over ${rounds} round(s): a Connect session ${spread(latency.connect)}s, spark-submit in a Job pod ${spread(latency.submit)}s: ${ratio.toFixed(2)}x`,
                );
            }
            if (process.env.BENCH_CONNECT_OUT) {
                fs.writeFileSync(process.env.BENCH_CONNECT_OUT, JSON.stringify(latency));
            }

            const state = networkPolicyState();
            if (state === "enforced") {
                const serviceIp = kubectlJson(["-n", NS, "get", "service", "spark-connect"]).spec.clusterIP as string;
                const targets = [
                    { what: "Service", ip: serviceIp },
                    { what: "server pod", ip: server.status.podIP as string },
                ];
                const verdicts = () => {
                    const open = connectsAll(
                        NS,
                        PROBE,
                        targets.map((t) => ({ ip: t.ip, port: 15002 })),
                    );
                    return targets.map((t, i) => `${t.what} ${t.ip}:15002 ${open[i] ? "open" : "closed"}`);
                };
                assert.deepStrictEqual(
                    verdicts(),
                    targets.map((t) => `${t.what} ${t.ip}:15002 closed`),
                    "an unlabelled pod reached Connect",
                );
                kubectl(["-n", NS, "label", "pod", PROBE, "spark-on-k8s/client=true"]);
                assert.deepStrictEqual(
                    verdicts(),
                    targets.map((t) => `${t.what} ${t.ip}:15002 open`),
                    "a client pod could not reach Connect",
                );
                note(
                    `connect under the NetworkPolicy: 15002 closed to an unlabelled pod, open once it is labelled a client (Service and pod)`,
                );
            } else {
                note(`spec 15's NetworkPolicy part SKIPPED: NetworkPolicy ${state}`);
                kubectl(["-n", NS, "label", "pod", PROBE, "spark-on-k8s/client=true"]);
            }

            // The client pod's session: the output URL (the Service's DNS name), TLS verified
            // against the published CA, the token from its mounted Secret.
            const copied = copyConnectClient(python, PROBE);
            const t1 = Date.now();
            const inPod = kubectl(["-n", NS, "exec", PROBE, "--", "python3", "/client/connect_client.py", o.connectUrl], {
                allowFail: true,
            });
            const inPodSeconds = (Date.now() - t1) / 1000;
            const line = inPod.stdout
                .split("\n")
                .filter((l) => l.startsWith("{"))
                .pop();
            assert.strictEqual(
                inPod.code,
                0,
                `the client pod's session through ${o.connectUrl} (exit ${inPod.code}): ${inPod.stdout}\n${inPod.stderr.slice(-3000)}\n${kubectl(["-n", NS, "logs", server.metadata.name, "-c", "connect-tls", "--tail=20"], { allowFail: true }).stdout}`,
            );
            assert.strictEqual(JSON.parse(line ?? "{}").ok, true, inPod.stdout);
            note(
                `connect from a client pod: ${copied} of pyspark-client copied in; a session through ${o.connectUrl} over TLS (the ${o.connectCaConfigMapName} CA) ran the checked aggregation in ${inPodSeconds.toFixed(1)}s`,
            );
        } finally {
            forward?.stop();
            uiForward?.stop();
            kubectl(["-n", NS, "delete", "pod", PROBE, "--ignore-not-found", "--wait=false"], { allowFail: true });
            setConfig({ connect: undefined });
            up();
        }
        assert.strictEqual(
            pods("connect").filter((p) => !p.metadata.deletionTimestamp).length,
            0,
            "the Connect server outlived connect off",
        );
        assert.strictEqual(outputs(STACK).connectUrl, undefined);
    });

    it(`16. monitoring on ${VERSIONS.current}: every metric scraped again; a worker pod deleted while no node has room for its replacement fires SparkWorkersBelowDesired, which resolves once the worker is back`, async () => {
        assert.ok(prometheus, "no Prometheus: spec 1b did not start one");
        const prom = prometheus;
        // The rule and the monitors as the stack holds them now (connect is off again).
        await prom.sync();
        await expectSparkMetrics(prom, VERSIONS.current);
        const alert = async () =>
            (await prom.alerts()).find((a) => a.labels.alertname === "SparkWorkersBelowDesired" && a.labels.namespace === NS);
        await waitFor("SparkWorkersBelowDesired quiet with both workers ALIVE", 60_000, async () => (await alert()) === undefined);
        const nodes = kubectlJson(["get", "nodes"]).items.map((n: any) => n.metadata.name as string);
        const [victim] = running("worker");
        try {
            // No node takes the replacement: as when the nodes are full.
            kubectl(["cordon", ...nodes]);
            const t0 = Date.now();
            kubectl(["-n", NS, "delete", "pod", victim.metadata.name, "--wait=false"]);
            await waitForAliveWorkers(1);
            const firing = await waitFor(
                "SparkWorkersBelowDesired firing",
                240_000,
                async () => {
                    const a = await alert();
                    return a?.state === "firing" ? a : undefined;
                },
                1000,
            );
            const fired = (Date.now() - t0) / 1000;
            assert.strictEqual(firing.labels.severity, "warning");
            assert.strictEqual(firing.labels.spark_cluster, "spark");
            assert.match(firing.annotations.summary, /^1 ALIVE workers in spark-local\/spark, 2 desired/);
            assert.match(
                firing.annotations.runbook,
                /kubectl -n spark-local get pods -l app.kubernetes.io\/instance=spark,app.kubernetes.io\/component=worker/,
            );
            assert.ok(
                pods("worker").some((p) => p.status.phase === "Pending"),
                "the replacement worker should be Pending while the nodes are cordoned",
            );
            kubectl(["uncordon", ...nodes]);
            const t1 = Date.now();
            await waitForAliveWorkers(2);
            await waitFor("SparkWorkersBelowDesired resolved", 120_000, async () => (await alert()) === undefined, 1000);
            note(
                `alert: SparkWorkersBelowDesired (for: ${MONITORING.workersBelowForMinutes}m, scrape and evaluation every ${MONITORING.scrapeInterval}) firing ${fired.toFixed(1)}s after the worker pod's deletion; gone ${((Date.now() - t1) / 1000).toFixed(1)}s after the nodes took pods again`,
            );
        } finally {
            kubectl(["uncordon", ...nodes], { allowFail: true });
        }

        // The stack's dashboard, every query run over the whole tier (since spec 1b) against this
        // Prometheus: each returns data, and the drawing is kept as a screenshot.
        const cm = kubectlJson(["-n", NS, "get", "configmap", "spark-spark-dashboard"]);
        const model = JSON.parse(cm.data[`spark-${NS}-spark.json`]);
        const drawing = await drawDashboard(prom, model, prom.startedAt, Math.floor(Date.now() / 1000));
        assert.deepStrictEqual(
            drawing.panels.flatMap((p) => p.series.filter((q) => q.count === 0).map((q) => `${p.title}: ${q.expr}`)),
            [],
            "dashboard queries that returned no series",
        );
        fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
        fs.writeFileSync(path.join(SCREENSHOT_DIR, "dashboard.html"), drawing.html);
        const browser = await launchBrowser();
        try {
            const { page } = await openTab(browser, "file://");
            await page.setContent(drawing.html);
            note(`dashboard: ${drawing.panels.length} panels drawn from the scraped data, ${await screenshot(page, "dashboard")}`);
        } finally {
            await browser.close();
        }
    });

    // --- Autoscaling on a real KEDA (specs 17-20). KEDA polls every 5 s and removes a worker 20 s
    // after the work is gone, one every 15 s (the defaults: 15, 300, 60): the same code path. The
    // nodes' 4 CPUs hold the master (1) and two workers (1 each); the drivers and KEDA request no
    // CPU. targetCoreUtilization 100: one busy core asks for exactly its worker, no spare one.
    const AUTOSCALING = {
        mode: "keda",
        minReplicas: 1,
        maxReplicas: 2,
        targetCoreUtilization: 100,
        pollingIntervalSeconds: 5,
        scaleDownStabilizationSeconds: 20,
        scaleDownIntervalSeconds: 15,
    };
    const autoscaleJob = (name: string, mode: "hold" | "sum"): ScriptJob => ({
        name,
        script: AUTOSCALE_SCRIPT,
        file: `${name}.py`,
        args: [mode],
        // After the template's own --total-executor-cores 2, so this one wins (a --conf
        // spark.cores.max does not: spark-submit sets spark.cores.max from the option).
        options: ["--total-executor-cores", "1"],
        // No CPU request: a worker KEDA adds needs a whole free CPU on one node.
        cpuRequest: "0",
        image: sparkImage(VERSIONS.current),
        timeoutMs: 600_000,
    });
    const appOf = (name: string) => masterJson()?.activeapps.find((a) => a.name === name);
    const finished = (name: string) => masterJson()?.completedapps.some((a) => a.name === name && a.state === "FINISHED");
    const expectSum = (r: { succeeded: boolean; log: string }, what: string) => {
        assert.ok(r.succeeded, `${what} failed:\n${r.log.slice(-3000)}`);
        assert.match(r.log, new RegExp(`^SUM=${AUTOSCALE_SUM}$`, "m"), `${what}: wrong sum`);
        assert.match(r.log, /^FAILED_TASKS=0$/m, `${what}: tasks failed`);
    };
    /** Adds reaction figures (seconds) to BENCH_KEDA_OUT's JSON, for bench/keda-reaction.ts. */
    const record = (figures: Record<string, number>) => {
        const out = process.env.BENCH_KEDA_OUT;
        if (out) {
            const now = fs.existsSync(out) ? JSON.parse(fs.readFileSync(out, "utf8")) : {};
            fs.writeFileSync(out, JSON.stringify({ ...now, ...figures }));
        }
    };
    /** What the HPA `hpa` KEDA made last read: the formula's value, in workers (a quantity: "1", "500m"). */
    const hpaWorkers = (hpa: string): number | undefined => {
        const got = kubectl(["-n", NS, "get", "hpa", hpa, "-o", "json"], { allowFail: true });
        const q: string | undefined =
            got.code === 0 ? JSON.parse(got.stdout).status?.currentMetrics?.[0]?.external?.current?.averageValue : undefined;
        return q === undefined ? undefined : q.endsWith("m") ? Number(q.slice(0, -1)) / 1000 : Number(q);
    };
    /**
     * Waits for the application `name` to be WAITING, then for `workers` ALIVE and the application
     * RUNNING (or done): the reaction times of the scale-out, in seconds.
     */
    const scaleOutFor = async (name: string, workers: number) => {
        await waitFor(`${name} WAITING for cores`, 180_000, () => appOf(name)?.state === "WAITING" || undefined, 200);
        const t0 = Date.now();
        await waitForAliveWorkers(workers, 240_000);
        const alive = (Date.now() - t0) / 1000;
        await waitFor(`${name} RUNNING`, 120_000, () => appOf(name)?.state === "RUNNING" || finished(name) || undefined, 200);
        return { alive, executor: (Date.now() - t0) / 1000 };
    };
    const hold = autoscaleJob("hold-core", "hold");
    let holder = "";

    it("17. autoscaling keda, KEDA itself running (its operator and metrics server from upstream's manifests, the external metrics API through aggregation): with the only worker's core busy, an application WAITING for cores makes KEDA add a worker, and it finishes with the right sum", async () => {
        ensureKeda();
        script("scripts/node/keda-up.sh");
        setConfig({ sparkVersion: VERSIONS.current, image: sparkImage(VERSIONS.current), workerReplicas: 1, autoscaling: AUTOSCALING });
        up();
        await waitForAliveWorkers(1, 180_000);
        const so = await waitFor("the ScaledObject Ready", 120_000, () => {
            const o = kubectlJson(["-n", NS, "get", "scaledobject", "spark-worker"]);
            return o.status?.conditions?.some((c: any) => c.type === "Ready" && c.status === "True") ? o : undefined;
        });
        const hpa: string = so.status.hpaName;
        // The HPA reads the formula through the external metrics API (KEDA's metrics server behind
        // the API server): 0 workers' worth while idle, 1 once an application holds the only core.
        await waitFor("the HPA reading 0 while idle", 120_000, () => hpaWorkers(hpa) === 0 || undefined, 1000);
        startScriptJob(hold);
        const held = await waitFor("hold-core RUNNING on the one worker", 240_000, () =>
            appOf(hold.name)?.state === "RUNNING" ? alive(masterJson()).find((w) => w.coresused === 1) : undefined,
        );
        holder = held.id;
        await waitFor("the HPA reading 1 with the one core busy", 120_000, () => hpaWorkers(hpa) === 1 || undefined, 1000);
        assert.strictEqual(kubectlJson(["-n", NS, "get", "deployment", "spark-worker"]).spec.replicas, 1, "a spare worker was added");

        const sum = autoscaleJob("sum-waiting", "sum");
        startScriptJob(sum);
        const reaction = await scaleOutFor(sum.name, 2);
        expectSum(await awaitScriptJob(sum), sum.name);
        assert.strictEqual(kubectlJson(["-n", NS, "get", "deployment", "spark-worker"]).spec.replicas, 2);
        record({ "busy: waiting->alive": reaction.alive, "busy: waiting->executor": reaction.executor });
        note(
            `keda scale-out: ${sum.name} WAITING behind hold-core -> 2nd worker ALIVE ${reaction.alive.toFixed(1)}s -> its executor running ${reaction.executor.toFixed(1)}s (polling ${AUTOSCALING.pollingIntervalSeconds}s)`,
        );
    });

    it("18. with that work done, KEDA removes the idle worker after the stabilization window: it decommissions, the busy worker stays, and the application holding it loses no task", async () => {
        assert.ok(holder !== "", "spec 17 did not run");
        const before = alive(masterJson()).map((w) => w.id);
        const t0 = Date.now();
        const m = await waitForAliveWorkers(1, 240_000);
        const removedAfter = (Date.now() - t0) / 1000;
        await waitFor("the removed worker pod gone", 120_000, () => pods("worker").length === 1 || undefined);
        assert.deepStrictEqual(
            alive(m).map((w) => w.id),
            [holder],
            "the worker running hold-core's executor was removed (a Deployment removes the pod ready for the shortest time first)",
        );
        const [gone] = before.filter((id) => id !== holder);
        expectDecommissioned(gone);
        assert.strictEqual(appOf(hold.name)?.state, "RUNNING", "hold-core stopped running");
        const [pod] = kubectlJson(["-n", NS, "get", "pods", "-l", `job-name=${hold.name}`]).items;
        kubectl(["-n", NS, "exec", pod.metadata.name, "--", "touch", "/tmp/hold-go"]);
        expectSum(await awaitScriptJob(hold), hold.name);
        record({ "busy: done->removed": removedAfter });
        note(
            `keda scale-in: ${removedAfter.toFixed(1)}s after the waiting application's end the idle worker decommissioned and left (stabilization ${AUTOSCALING.scaleDownStabilizationSeconds}s); hold-core kept its worker and finished`,
        );
    });

    it("19. minReplicas 0: the idle cluster goes to zero workers; an unrelated pulumi up leaves that alone; an application WAITING for cores brings a worker back and finishes with the right sum", async () => {
        setConfig({ autoscaling: { ...AUTOSCALING, minReplicas: 0 } });
        up();
        const t0 = Date.now();
        await waitForAliveWorkers(0, 240_000);
        await waitFor("no worker pod", 120_000, () => pods("worker").length === 0 || undefined);
        const toZero = (Date.now() - t0) / 1000;
        assert.strictEqual(kubectlJson(["-n", NS, "get", "deployment", "spark-worker"]).spec.replicas, 0);
        // The stack's own workerReplicas is 1: a change elsewhere must not put it back.
        setConfig({ monitoring: { ...MONITORING, scrapeInterval: "10s" } });
        const preview = pulumi(["preview", "--diff", "--stack", STACK]).stdout;
        assert.ok(!/replicas/.test(preview), `the preview touches replicas:\n${preview.slice(-3000)}`);
        up();
        assert.strictEqual(kubectlJson(["-n", NS, "get", "deployment", "spark-worker"]).spec.replicas, 0);

        const sum = autoscaleJob("sum-from-zero", "sum");
        startScriptJob(sum);
        const reaction = await scaleOutFor(sum.name, 1);
        expectSum(await awaitScriptJob(sum), sum.name);
        record({ "idle->zero": toZero, "zero: waiting->alive": reaction.alive, "zero: waiting->executor": reaction.executor });
        note(
            `keda from zero: idle -> 0 workers ${toZero.toFixed(1)}s after minReplicas 0; ${sum.name} WAITING -> a worker ALIVE ${reaction.alive.toFixed(1)}s -> its executor running ${reaction.executor.toFixed(1)}s`,
        );
    });

    it("20. autoscaling off: pulumi up removes the ScaledObject and KEDA's HPA, and pulumi up --refresh returns the workers to workerReplicas", async () => {
        setConfig({ autoscaling: undefined, workerReplicas: 2, monitoring: MONITORING });
        // Pulumi updates the Deployment before it deletes the ScaledObject, so the HPA can set its
        // own count again in between (seen on this tier): the first up only removes the autoscaler.
        up();
        assert.strictEqual(kubectl(["-n", NS, "get", "scaledobject", "spark-worker"], { allowFail: true }).code, 1);
        await waitFor("KEDA's HPA gone", 60_000, () => kubectlJson(["-n", NS, "get", "hpa"]).items.length === 0 || undefined);
        const left = kubectlJson(["-n", NS, "get", "deployment", "spark-worker"]).spec.replicas;
        pulumi(["up", "--yes", "--skip-preview", "--refresh", "--stack", STACK]);
        await waitForAliveWorkers(2, 240_000);
        assert.strictEqual(kubectlJson(["-n", NS, "get", "deployment", "spark-worker"]).spec.replicas, 2);
        note(`autoscaling off: ${left} worker(s) after the first up, 2 (workerReplicas) after up --refresh`);
    });
});
