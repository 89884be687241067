// Shared harness of the Spark runtime tests: installs a Spark distribution (pyspark from
// PyPI), starts the image's entrypoint as real processes on 127.0.0.1 with free ports,
// polls the master's JSON API, keeps every process's output in a log file and always
// kills what it started. Node's standard library and tooling/ only.
import { ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { pinnedVersions } from "./versions";
import { sleep, waitFor } from "./wait";

export { pinnedVersions, sleep, waitFor };

export const REPO_ROOT = path.resolve(__dirname, "..");
export const ENTRYPOINT = path.join(REPO_ROOT, "images", "spark", "entrypoint.sh");
export const CONF_DIR = path.join(REPO_ROOT, "images", "spark", "conf");
export const JOBS_DIR = path.join(REPO_ROOT, "tests", "spark", "jobs");

/** Spark versions under test: SPARK_TEST_VERSIONS (comma or space separated) or both pins. */
export function sparkVersions(): string[] {
    const fromEnv = (process.env.SPARK_TEST_VERSIONS ?? "").split(/[\s,]+/).filter((v) => v !== "");
    if (fromEnv.length > 0) return fromEnv;
    const pins = pinnedVersions();
    return [pins.SPARK_VERSION_DEFAULT, pins.SPARK_VERSION_PREVIOUS].filter((v) => v !== undefined);
}

/** Installs pyspark==version once (scripts/spark/install.sh) and returns its SPARK_HOME. */
export function installSpark(version: string): string {
    const out = execFileSync("bash", [path.join(REPO_ROOT, "scripts", "spark", "install.sh"), version], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "inherit"],
    });
    return out.trim().split("\n").pop() ?? "";
}

/** Installs the pinned pyspark-client once (scripts/spark/install-client.sh) and returns its venv's python. */
export function installConnectClient(): string {
    const out = execFileSync("bash", [path.join(REPO_ROOT, "scripts", "spark", "install-client.sh")], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "inherit"],
    });
    return out.trim().split("\n").pop() ?? "";
}

/** The tini binary if installed (Debian package `tini`), else undefined. */
export function findTini(): string | undefined {
    for (const candidate of ["/usr/bin/tini", "/sbin/tini", "/usr/local/bin/tini"]) {
        if (fs.existsSync(candidate)) return candidate;
    }
    const which = spawnSync("bash", ["-c", "command -v tini"], { encoding: "utf8" });
    return which.status === 0 ? which.stdout.trim() : undefined;
}

/** N distinct free TCP ports on 127.0.0.1 (all held until every one is chosen). */
export async function freePorts(count: number): Promise<number[]> {
    const servers: net.Server[] = [];
    try {
        const ports: number[] = [];
        for (let i = 0; i < count; i++) {
            const server = net.createServer();
            servers.push(server);
            await new Promise<void>((resolve, reject) => {
                server.once("error", reject);
                server.listen(0, "127.0.0.1", () => resolve());
            });
            ports.push((server.address() as net.AddressInfo).port);
        }
        return ports;
    } finally {
        await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    }
}

export interface ExitStatus {
    code: number | null;
    signal: NodeJS.Signals | null;
}

// Every process any harness started, so a crash of the test runner still kills them.
const live = new Set<ManagedProcess>();
let exitHookInstalled = false;
function installExitHook(): void {
    if (exitHookInstalled) return;
    exitHookInstalled = true;
    process.on("exit", () => {
        for (const p of live) p.killTree("SIGKILL");
    });
    for (const sig of ["SIGINT", "SIGTERM"] as const) {
        process.once(sig, () => {
            for (const p of live) p.killTree("SIGKILL");
            process.exit(130);
        });
    }
}

/** One started process: its own process group, output appended to a log file. */
export class ManagedProcess {
    readonly child: ChildProcess;
    readonly exited: Promise<ExitStatus>;
    status: ExitStatus | undefined;
    private readonly fd: number;

    constructor(
        readonly name: string,
        readonly command: string,
        readonly args: string[],
        readonly env: NodeJS.ProcessEnv,
        readonly logFile: string,
    ) {
        installExitHook();
        this.fd = fs.openSync(logFile, "a");
        // detached: its own process group, so a Ctrl-C meant for mocha does not reach it
        // before the harness has had a chance to stop it.
        this.child = spawn(command, args, { env, stdio: ["ignore", this.fd, this.fd], detached: true });
        live.add(this);
        this.exited = new Promise((resolve) => {
            this.child.once("exit", (code, signal) => {
                this.status = { code, signal };
                live.delete(this);
                fs.closeSync(this.fd);
                resolve(this.status);
            });
            this.child.once("error", (err) => {
                fs.appendFileSync(logFile, `\n[harness] spawn failed: ${err.message}\n`);
            });
        });
    }

    get pid(): number {
        return this.child.pid ?? -1;
    }

    get running(): boolean {
        return this.status === undefined;
    }

    /** Signal to the process itself (e.g. SIGTERM to tini, which forwards it). */
    signal(sig: NodeJS.Signals): void {
        if (this.running) process.kill(this.pid, sig);
    }

    /**
     * Signal to the process and all its descendants (parents first, so a stopped parent
     * cannot start new children), ignoring "already gone". Process groups are not enough:
     * tini puts its child into a group of its own.
     */
    killTree(sig: NodeJS.Signals): void {
        if (!this.running) return;
        for (const pid of [this.pid, ...descendants(this.pid)]) {
            try {
                process.kill(pid, sig);
            } catch {
                /* already gone */
            }
        }
    }

    /** Resolves with the exit status, or undefined if still running after timeoutMs. */
    async waitExit(timeoutMs: number): Promise<ExitStatus | undefined> {
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<undefined>((resolve) => {
            timer = setTimeout(() => resolve(undefined), timeoutMs);
        });
        try {
            return await Promise.race([this.exited, timeout]);
        } finally {
            clearTimeout(timer); // a pending timer would keep mocha alive after the last test
        }
    }

    output(): string {
        return fs.existsSync(this.logFile) ? fs.readFileSync(this.logFile, "utf8") : "";
    }

    tail(lines = 40): string {
        return this.output().split("\n").slice(-lines).join("\n");
    }

    /** SIGTERM (tini forwards it), then SIGKILL to whatever of the tree is left. */
    async stop(): Promise<void> {
        if (!this.running) return;
        const tree = [this.pid, ...descendants(this.pid)];
        this.signal("SIGCONT"); // in case a test stopped it
        this.signal("SIGTERM");
        await this.waitExit(5000);
        for (const pid of tree) {
            try {
                process.kill(pid, "SIGKILL");
            } catch {
                /* already gone */
            }
        }
        await this.waitExit(5000);
    }
}

export interface MasterJson {
    url: string;
    status: string;
    aliveworkers?: number;
    workers: Array<{
        id: string;
        host: string;
        port: number;
        webuiaddress: string;
        cores: number;
        memory: number;
        state: string;
        lastheartbeat: number;
    }>;
    activeapps: Array<{ id: string; name: string; state: string }>;
    completedapps: Array<{ id: string; name: string; state: string }>;
}

export interface WorkerJson {
    id: string;
    masterurl: string;
    cores: number;
    memory: number;
    executors: Array<{ id: number; appid: string }>;
    finishedexecutors: Array<{ id: number; appid: string }>;
}

export async function getJson<T>(url: string, timeoutMs = 2000): Promise<T> {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status}`);
    return (await res.json()) as T;
}

export async function getText(url: string, timeoutMs = 2000): Promise<{ status: number; body: string }> {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: "follow" });
    return { status: res.status, body: await res.text() };
}

export interface MasterHandle {
    proc: ManagedProcess;
    port: number;
    webPort: number;
    url: string;
    webUrl: string;
}

export interface WorkerHandle {
    proc: ManagedProcess;
    name: string;
    webPort: number;
    webUrl: string;
    workDir: string;
}

export interface StartOptions {
    /** Extra environment for this process. */
    env?: Record<string, string>;
    /** Start through tini (as the image's ENTRYPOINT does) when tini is installed. */
    tini?: boolean;
}

/**
 * One Spark distribution under test plus everything started against it. Logs live in a
 * temporary directory (kept when SPARK_TEST_KEEP_LOGS=1).
 */
export class SparkHarness {
    readonly dir: string;
    readonly procs: ManagedProcess[] = [];
    readonly tini: string | undefined = findTini();
    private counter = 0;

    constructor(
        readonly version: string,
        readonly sparkHome: string,
        label = "spark",
    ) {
        this.dir = fs.mkdtempSync(path.join(os.tmpdir(), `${label}-${version}-`));
    }

    /** Environment every Spark process gets: nothing from the caller's SPARK_* leaks in. */
    baseEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
        const env: NodeJS.ProcessEnv = {};
        for (const [k, v] of Object.entries(process.env)) {
            if (!k.startsWith("SPARK_") && !k.startsWith("PYSPARK_") && k !== "MASTER") env[k] = v;
        }
        const localDirs = path.join(this.dir, "local");
        fs.mkdirSync(localDirs, { recursive: true });
        return {
            ...env,
            SPARK_HOME: this.sparkHome,
            SPARK_CONF_DIR: CONF_DIR,
            SPARK_LOCAL_IP: "127.0.0.1",
            SPARK_LOCAL_DIRS: localDirs,
            // Small daemons: a 2-core machine runs several at once.
            SPARK_DAEMON_MEMORY: "384m",
            PYSPARK_PYTHON: "python3",
            ...extra,
        };
    }

    /** Starts `entrypoint.sh ARGS...` (optionally under tini) with the base environment. */
    start(name: string, args: string[], opts: StartOptions = {}): ManagedProcess {
        const logFile = path.join(this.dir, `${String(++this.counter).padStart(2, "0")}-${name}.log`);
        const env = this.baseEnv(opts.env ?? {});
        const useTini = opts.tini === true && this.tini !== undefined;
        const command = useTini ? (this.tini as string) : ENTRYPOINT;
        // -s: tini is not PID 1 here, so it registers as a child subreaper instead.
        const argv = useTini ? ["-s", "--", ENTRYPOINT, ...args] : args;
        const proc = new ManagedProcess(name, command, argv, env, logFile);
        this.procs.push(proc);
        return proc;
    }

    /** Runs the entrypoint to completion (for error cases): status, stdout, stderr. */
    runSync(args: string[], env: Record<string, string> = {}, timeoutMs = 30000) {
        return spawnSync(ENTRYPOINT, args, { env: this.baseEnv(env), encoding: "utf8", timeout: timeoutMs });
    }

    async startMaster(name = "master", opts: StartOptions = {}): Promise<MasterHandle> {
        const [port, webPort] = await freePorts(2);
        return this.startMasterOn(port, webPort, name, opts);
    }

    startMasterOn(port: number, webPort: number, name = "master", opts: StartOptions = {}): MasterHandle {
        const proc = this.start(name, ["master"], {
            ...opts,
            env: {
                SPARK_MASTER_HOST: "127.0.0.1",
                SPARK_MASTER_PORT: String(port),
                SPARK_MASTER_WEBUI_PORT: String(webPort),
                ...(opts.env ?? {}),
            },
        });
        return {
            proc,
            port,
            webPort,
            url: `spark://127.0.0.1:${port}`,
            webUrl: `http://127.0.0.1:${webPort}`,
        };
    }

    /**
     * Starts a worker (1 core, 1g). `host`: another loopback address (127.0.0.2, ...) for
     * the worker and its executors, so that Spark sees workers on different hosts, as pods
     * are; its web UI then listens there too.
     */
    async startWorker(master: MasterHandle, name: string, opts: StartOptions & { host?: string } = {}): Promise<WorkerHandle> {
        const [port, webPort] = await freePorts(2);
        const workDir = path.join(this.dir, name);
        const host = opts.host ?? "127.0.0.1";
        const proc = this.start(name, ["worker"], {
            ...opts,
            env: {
                SPARK_LOCAL_IP: host,
                SPARK_MASTER_URL: master.url,
                SPARK_WORKER_CORES: "1",
                SPARK_WORKER_MEMORY: "1g",
                SPARK_WORKER_PORT: String(port),
                SPARK_WORKER_WEBUI_PORT: String(webPort),
                SPARK_WORKER_DIR: workDir,
                ...(opts.env ?? {}),
            },
        });
        return { proc, name, webPort, webUrl: `http://${host}:${webPort}`, workDir };
    }

    /** The master's /json/ view. */
    masterJson(master: MasterHandle): Promise<MasterJson> {
        return getJson<MasterJson>(`${master.webUrl}/json/`);
    }

    /** Waits until the master lists `count` ALIVE workers; returns them. */
    async waitAliveWorkers(master: MasterHandle, count: number, timeoutMs = 90000) {
        return waitFor(`${count} ALIVE workers on ${master.url}`, timeoutMs, async () => {
            this.assertRunning(master.proc);
            const json = await this.masterJson(master);
            const alive = json.workers.filter((w) => w.state === "ALIVE");
            return alive.length === count ? alive : undefined;
        });
    }

    /** The master's entry for a worker, matched by its web UI port. */
    async workerEntry(master: MasterHandle, worker: WorkerHandle) {
        const json = await this.masterJson(master);
        return json.workers.filter((w) => w.webuiaddress.endsWith(`:${worker.webPort}`));
    }

    /** Fails fast (instead of timing out) when a process that should run has exited. */
    assertRunning(proc: ManagedProcess): void {
        if (!proc.running) {
            throw new Error(`${proc.name} exited early (${JSON.stringify(proc.status)}); log:\n${proc.tail(30)}`);
        }
    }

    /** Prints the tail of every log, for a failed test. */
    printLogs(lines = 40): void {
        for (const p of this.procs) {
            process.stderr.write(`\n----- ${p.name} (${p.logFile}, ${p.running ? "running" : JSON.stringify(p.status)}) -----\n`);
            process.stderr.write(p.tail(lines) + "\n");
        }
    }

    /** Stops everything this harness started; removes the logs unless asked to keep them. */
    async stopAll(keepLogs = false): Promise<void> {
        await Promise.all(this.procs.map((p) => p.stop()));
        if (!keepLogs && process.env.SPARK_TEST_KEEP_LOGS !== "1") {
            fs.rmSync(this.dir, { recursive: true, force: true });
        } else {
            process.stderr.write(`[harness] logs kept in ${this.dir}\n`);
        }
    }
}

/** Descendants of a process, breadth first, from /proc/PID/task/TID/children (Linux). */
/**
 * Registers the hooks every runtime suite with a running cluster needs: `setup` starts its
 * processes (before all), a failed test prints the processes' logs (`logLines` of each), and
 * everything is stopped at the end, keeping the logs when anything failed.
 */
export function sparkSuite(version: string, prefix: string, setup: (h: SparkHarness) => Promise<void>, logLines?: number): void {
    let h: SparkHarness | undefined;
    let failed = false;

    before(async function () {
        this.timeout(300000);
        h = new SparkHarness(version, installSpark(version), prefix);
        try {
            await setup(h);
        } catch (err) {
            failed = true;
            h.printLogs(logLines);
            throw err;
        }
    });

    afterEach(function () {
        if (this.currentTest?.state === "failed") {
            failed = true;
            h?.printLogs(logLines);
        }
    });

    after(async function () {
        this.timeout(60000);
        await h?.stopAll(failed);
    });
}

export function descendants(rootPid: number): number[] {
    const out: number[] = [];
    const queue = [rootPid];
    while (queue.length > 0) {
        const pid = queue.shift() as number;
        try {
            for (const task of fs.readdirSync(`/proc/${pid}/task`)) {
                const children = fs.readFileSync(`/proc/${pid}/task/${task}/children`, "utf8").trim();
                if (children === "") continue;
                const pids = children.split(/\s+/).map(Number);
                out.push(...pids);
                queue.push(...pids);
            }
        } catch {
            /* exited meanwhile */
        }
    }
    return out;
}

/** The command lines (/proc/PID/cmdline) of a process and its descendants. */
export function commandLines(rootPid: number): string[] {
    const out: string[] = [];
    for (const pid of [rootPid, ...descendants(rootPid)]) {
        try {
            out.push(fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" "));
        } catch {
            /* exited meanwhile */
        }
    }
    return out;
}

/** One event of a Spark event log (a JSON object per line). */
export type SparkEvent = Record<string, unknown> & { Event: string };

/**
 * The events of an application's log in `dir` (spark.eventLog.dir), written uncompressed:
 * a single file (spark.eventLog.rolling.enabled=false) or the directory a rolling log uses
 * (Spark 4's default), whose events_* files are read in order.
 */
export function readEventLog(dir: string, appId: string): SparkEvent[] {
    const entry = fs.readdirSync(dir).find((f) => f.startsWith(appId) || f === `eventlog_v2_${appId}`);
    if (entry === undefined) throw new Error(`no event log for ${appId} in ${dir}: ${fs.readdirSync(dir).join(", ")}`);
    const full = path.join(dir, entry);
    const files = fs.statSync(full).isDirectory()
        ? fs
              .readdirSync(full)
              .filter((f) => f.startsWith("events_"))
              .sort((a, b) => Number(a.split("_")[1]) - Number(b.split("_")[1]))
              .map((f) => path.join(full, f))
        : [full];
    return files.flatMap((f) =>
        fs
            .readFileSync(f, "utf8")
            .split("\n")
            .filter((l) => l.trim() !== "")
            .map((l) => JSON.parse(l) as SparkEvent),
    );
}

/** A nested field of an event, e.g. eventField(e, "Task End Reason", "Reason"). */
export function eventField<T>(event: Record<string, unknown>, ...keys: string[]): T {
    return keys.reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], event) as T;
}

/** The value of a `KEY=value` word the test jobs print (first occurrence), else undefined. */
export function printedValue(output: string, key: string): string | undefined {
    return new RegExp(`(?:^|\\s)${key}=(\\S+)`, "m").exec(output)?.[1];
}

export interface ConnectClientResult {
    /** Exit status: 0 answered and checked, 1 refused or failed (json says why), null killed. */
    status: number | null;
    json: { ok: boolean; groups?: Record<string, [number, number]>; error?: string } | undefined;
    stdout: string;
    stderr: string;
}

/**
 * The pinned thin client (pyspark-client, no JVM) on this host. `target` a port: as a laptop
 * runs it through a port-forward, `sc://localhost:PORT` (plain gRPC; pyspark-client switches to
 * TLS for a token and any other host); a string: that `sc://` URL (TLS with a token, trusting
 * the CA file in `extraEnv.GRPC_DEFAULT_SSL_ROOTS_FILE_PATH`). The token from the environment
 * (never in argv; none when undefined), an aggregation whose answer the script checks
 * (tests/spark/jobs/connect_client.py). Killed after `timeoutMs`.
 */
export function runConnectClient(
    python: string,
    target: number | string,
    token: string | undefined,
    timeoutMs: number,
    extraEnv: NodeJS.ProcessEnv = {},
): Promise<ConnectClientResult> {
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) {
        if (!k.startsWith("SPARK_") && !k.startsWith("PYSPARK_") && !k.startsWith("GRPC_")) env[k] = v;
    }
    Object.assign(env, extraEnv);
    if (token !== undefined) env.SPARK_CONNECT_TOKEN = token;
    const url = typeof target === "number" ? `sc://localhost:${target}` : target;
    return new Promise((resolve) => {
        const child = spawn(python, [path.join(JOBS_DIR, "connect_client.py"), url], {
            env,
            stdio: ["ignore", "pipe", "pipe"],
        });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d) => (stdout += String(d)));
        child.stderr.on("data", (d) => (stderr += String(d)));
        const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
        child.on("close", (status) => {
            clearTimeout(timer);
            const line = stdout
                .split("\n")
                .filter((l) => l.startsWith("{"))
                .pop();
            resolve({ status, json: line === undefined ? undefined : JSON.parse(line), stdout, stderr });
        });
    });
}
