// Shared harness of the node tier (mocha root hooks): a local control plane with REAL nodes
// (kubelet, containerd, CNI bridge, kube-proxy, CoreDNS on this machine; scripts/node), the
// Spark images built by Docker from the project's own Dockerfile and imported into the
// nodes, and the project copy of the e2e harness for the real Pulumi CLI. Everything is
// stopped at the end, also when a spec fails. When the machine cannot run it (not root, no
// apt, no cgroups...), every spec is skipped with the reason printed, never silently.
import "./env";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { NODE_CLUSTER_DIR } from "./env";
import { pinned } from "../../tooling/versions";
import { COMMAND_TIMEOUT_MS, reportFailureNow, ROOT, startEnvironment, stopEnvironment } from "../e2e/harness";

// The e2e harness's helpers, shared rather than copied (its own root hooks are not used).
export {
    initStack,
    installPromCrds,
    KUBECONFIG,
    kubectl,
    kubectlJson,
    localStackConfig,
    outputs,
    project,
    pulumi,
    pulumiEnv,
    readStackConfig,
    ROOT,
    TOOLS_BIN,
    waitFor,
    writeStackConfig,
} from "../e2e/harness";
export { NODE_CLUSTER_DIR };

/** Real nodes on this machine: each reports the machine's CPUs, so 2 nodes give the scheduler room for master + 2 workers + a job on 2 CPUs. */
export const NODES = Number(process.env.SPARK_NODE_COUNT ?? 2);
export const DOCKER_SOCK = path.join(process.env.SPARK_NODE_DOCKER_DIR ?? path.join(ROOT, ".local", "docker"), "docker.sock");
export const VERSIONS = { current: pinned("SPARK_VERSION_DEFAULT"), previous: pinned("SPARK_VERSION_PREVIOUS") };
/** KEDA's operator and metrics server image (scripts/node/common.sh's KEDA_IMAGE; keda-up.sh runs it). */
export const KEDA_IMAGE = `spark-on-k8s/keda:${pinned("KEDA_VERSION")}-local`;
/** The tag build-images.sh gives the image of a Spark version (scripts/node/common.sh). */
export function sparkImage(version: string): string {
    return `spark-on-k8s/spark:${version}-local`;
}

/** Why this machine cannot run the tier, or undefined when it can. */
export function whyNot(): string | undefined {
    if (process.env.SPARK_NODE_TIER === "skip") {
        return "SPARK_NODE_TIER=skip";
    }
    if (process.platform !== "linux") {
        return `needs Linux (this is ${process.platform})`;
    }
    if (process.getuid?.() !== 0) {
        return "needs root (it runs containerd, kubelets and iptables): run `sudo npm run test:node`";
    }
    const have = (cmd: string) => spawnSync("sh", ["-c", `command -v ${cmd}`]).status === 0;
    const tools = ["dockerd", "containerd", "runc", "debootstrap", "iptables", "gcc"];
    if (!have("apt-get") && !tools.every(have)) {
        return `no apt-get to install what is missing of ${tools.join(", ")}`;
    }
    if (!fs.existsSync("/sys/fs/cgroup/cpu") && !fs.existsSync("/sys/fs/cgroup/cgroup.controllers")) {
        return "no cgroup hierarchy mounted at /sys/fs/cgroup";
    }
    try {
        fs.accessSync("/sys/fs/cgroup/cpu", fs.constants.W_OK);
    } catch {
        if (!fs.existsSync("/sys/fs/cgroup/cgroup.controllers")) {
            return "cgroups are read-only here (a container without cgroup write access cannot run a kubelet)";
        }
    }
    return undefined;
}

/** Runs a script of the repository, its output to this process's stderr; throws on failure. */
export function script(rel: string, args: string[] = [], env: NodeJS.ProcessEnv = {}): void {
    const started = Date.now();
    const r = spawnSync("bash", [path.join(ROOT, rel), ...args], {
        cwd: ROOT,
        env: { ...process.env, SPARK_LOCAL_CLUSTER_DIR: NODE_CLUSTER_DIR, ...env },
        stdio: ["ignore", "pipe", "pipe"],
        encoding: "utf8",
        maxBuffer: 64 * 1024 * 1024,
        // Image builds from nothing take ~11 min on 2 cores; nothing here should take 40.
        timeout: 2_400_000,
        killSignal: "SIGKILL",
    });
    const took = ((Date.now() - started) / 1000).toFixed(1);
    if (r.status !== 0) {
        const how = r.error ? `failed (${r.error.message})` : `exited ${r.status}`;
        throw new Error(`${rel} ${args.join(" ")} ${how} after ${took}s\n${(r.stderr ?? "").slice(-6000)}`);
    }
    timings.push(`${rel} ${args.join(" ")}: ${took}s`);
}

/** The private Docker engine's CLI (classic builder). */
export function docker(
    args: string[],
    opts: { allowFail?: boolean; timeoutMs?: number } = {},
): { code: number; stdout: string; stderr: string } {
    const r = spawnSync("docker", args, {
        env: { ...process.env, DOCKER_HOST: `unix://${DOCKER_SOCK}`, DOCKER_BUILDKIT: "0" },
        encoding: "utf8",
        maxBuffer: 64 * 1024 * 1024,
        timeout: opts.timeoutMs ?? COMMAND_TIMEOUT_MS,
        killSignal: "SIGKILL",
    });
    const out = { code: r.status ?? -1, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
    if (!opts.allowFail && out.code !== 0) {
        throw new Error(`docker ${args.join(" ")} exited ${out.code}\n${out.stderr.slice(-3000)}`);
    }
    return out;
}

/** Seconds each setup step took, printed at the end (the README's numbers come from here). */
export const timings: string[] = [];
export let skipReason: string | undefined;
let started = false;

function setUp(): void {
    script("scripts/node/install.sh");
    // What the nodes need to come up; Prometheus and KEDA are built when their specs come
    // (ensureTools, ensureKeda), so scripts/test.sh's background build has the node tier's first
    // specs to finish them in.
    ensureTools("kubelet", "kube-proxy", "coredns", "kube-network-policies", "prom-crds");
    script("scripts/node/docker-up.sh");
    script("scripts/node/build-images.sh", [VERSIONS.current, VERSIONS.previous]);
    script("scripts/cluster/up.sh", ["--nodes", "0", "--real-node"]);
    script("scripts/node/up.sh", ["--nodes", String(NODES)]);
    script("scripts/node/load-images.sh", [sparkImage(VERSIONS.current), sparkImage(VERSIONS.previous)]);
    // The control plane is healthy now, so the e2e harness only lays out its project copy.
    startEnvironment();
}

/** Builds the named tools, or waits for scripts/test.sh's background build of them; returns once they are there. */
export function ensureTools(...names: string[]): void {
    script("scripts/tools/build.sh", names);
}

/** KEDA's binaries, its manifests and its image on every node: what scripts/node/keda-up.sh runs. */
export function ensureKeda(): void {
    ensureTools("keda-operator", "keda-adapter", "keda-crds");
    script("scripts/node/build-images.sh", ["--only-keda"]);
    script("scripts/node/load-images.sh", [KEDA_IMAGE]);
}

function tearDown(): void {
    const errors: string[] = [];
    for (const [rel, env] of [
        ["scripts/node/down.sh", { SPARK_NODE_KEEP_LOGS: process.env.SPARK_E2E_KEEP ?? "" }],
        ["scripts/node/docker-down.sh", {}],
    ] as [string, NodeJS.ProcessEnv][]) {
        try {
            script(rel, [], env);
        } catch (e) {
            errors.push(String(e));
        }
    }
    stopEnvironment();
    if (errors.length > 0) {
        process.stderr.write(`node tier teardown: ${errors.join("\n")}\n`);
    }
}

// An interrupted run (Ctrl-C, a CI timeout) still removes the nodes: mocha's own hooks do
// not run then.
for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
        if (started) {
            process.stderr.write(`\n      node tier: ${signal}, tearing down\n`);
            tearDown();
        }
        process.exit(signal === "SIGINT" ? 130 : 143);
    });
}

export const mochaHooks = {
    beforeAll(this: Mocha.Context): void {
        this.timeout(1_800_000);
        skipReason = whyNot();
        if (skipReason !== undefined) {
            process.stderr.write(`\n      node tier SKIPPED: ${skipReason}\n\n`);
            // scripts/test.sh counts the tier as skipped, with this reason, not as passed.
            if (process.env.SPARK_TIER_SKIP_FILE) {
                fs.writeFileSync(process.env.SPARK_TIER_SKIP_FILE, skipReason);
            }
            this.skip();
        }
        started = true;
        try {
            setUp();
        } catch (e) {
            tearDown();
            started = false;
            throw e;
        }
        process.stderr.write(`      node: ${NODES} real node(s) up next to ${NODE_CLUSTER_DIR}\n`);
    },
    afterEach: reportFailureNow,
    afterAll(this: Mocha.Context): void {
        this.timeout(300_000);
        if (started) {
            tearDown();
            started = false;
        }
        if (timings.length > 0) {
            process.stderr.write(`      node tier setup times:\n${timings.map((t) => `        ${t}`).join("\n")}\n`);
        }
    },
};
