// The local control plane as the e2e tier, the node tier and bench:e2e use it: starts it (etcd,
// kube-apiserver, KWOK nodes; scripts/cluster/up.sh), lays out a throwaway copy of the project
// for the real Pulumi CLI, runs pulumi and kubectl against it with a time limit, and stops it.
// The e2e tier's mocha hooks are in tests/e2e/harness.ts.
import { spawnSync, SpawnSyncReturns } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as yaml from "js-yaml";

export const ROOT = path.join(__dirname, "..");
export const TOOLS_DIR = process.env.SPARK_TOOLS_DIR ?? path.join(ROOT, ".tools");
export const TOOLS_BIN = path.join(TOOLS_DIR, "bin");
/** KEDA's ScaledObject CRD, copied from the pinned KEDA module by `scripts/tools/build.sh keda-crds`. */
export const KEDA_SCALEDOBJECT_CRD = path.join(TOOLS_DIR, "keda-crds", "keda.sh_scaledobjects.yaml");
/** The Prometheus Operator's PodMonitor and PrometheusRule CRDs (PROMETHEUS_OPERATOR_VERSION; scripts/tools/build.sh prom-crds). */
export const PROM_CRDS = ["podmonitors", "prometheusrules"].map((k) =>
    path.join(TOOLS_DIR, "prom-crds", `monitoring.coreos.com_${k}.yaml`),
);
/** Its own cluster dir, so a cluster left up by `npm run try` is never touched by tests. */
export const CLUSTER_DIR = process.env.SPARK_E2E_CLUSTER_DIR ?? path.join(ROOT, ".local", "e2e-cluster");
export const KUBECONFIG = path.join(CLUSTER_DIR, "kubeconfig");
/** The local stack file's salt belongs to this dev-only passphrase (see Pulumi.local.yaml). */
const PASSPHRASE = "spark-local";

/** The throwaway project copy (real Pulumi.yaml, stack files, program) and its file backend. */
export let work = "";
export let project = "";

export interface Result {
    code: number;
    stdout: string;
    stderr: string;
}

/**
 * The longest any one command may run. The helpers block the event loop, so mocha's own
 * timeouts cannot stop a hung `pulumi up` or `kubectl`: this does, and says which it was.
 */
export const COMMAND_TIMEOUT_MS = Number(process.env.SPARK_TEST_COMMAND_TIMEOUT_MS ?? 900_000);

export function run(
    cmd: string,
    args: string[],
    opts: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number } = {},
): Result {
    const timeoutMs = opts.timeoutMs ?? COMMAND_TIMEOUT_MS;
    const r: SpawnSyncReturns<string> = spawnSync(cmd, args, {
        cwd: opts.cwd ?? ROOT,
        env: opts.env ?? process.env,
        input: opts.input,
        encoding: "utf8",
        maxBuffer: 256 * 1024 * 1024,
        timeout: timeoutMs,
        killSignal: "SIGKILL",
    });
    if (r.error) {
        const timedOut = (r.error as NodeJS.ErrnoException).code === "ETIMEDOUT";
        const what = `${path.basename(cmd)} ${args.join(" ")}`;
        throw new Error(
            timedOut
                ? `${what}: still running after ${timeoutMs / 1000}s, killed\n--- stdout ---\n${(r.stdout ?? "").slice(-4000)}\n--- stderr ---\n${(r.stderr ?? "").slice(-4000)}`
                : `${what}: ${r.error.message}`,
        );
    }
    return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function check(what: string, r: Result): string {
    if (r.code !== 0) {
        throw new Error(`${what} exited ${r.code}\n--- stdout ---\n${r.stdout.slice(-4000)}\n--- stderr ---\n${r.stderr.slice(-4000)}`);
    }
    return r.stdout;
}

/** Environment of the Pulumi CLI: the built tools first on PATH, a private home and a file backend. */
export function pulumiEnv(): NodeJS.ProcessEnv {
    return {
        ...process.env,
        PATH: `${TOOLS_BIN}:${process.env.PATH}`,
        PULUMI_HOME: path.join(work, "pulumi-home"),
        PULUMI_BACKEND_URL: `file://${path.join(work, "state")}`,
        PULUMI_CONFIG_PASSPHRASE: PASSPHRASE,
        PULUMI_SKIP_UPDATE_CHECK: "true",
        PULUMI_DIY_BACKEND_NO_LEGACY_WARNING: "true",
        PULUMI_SKIP_CONFIRMATIONS: "true",
        KUBECONFIG,
    };
}

/** Runs the real `pulumi` in the project copy; throws with its output unless `allowFail`. */
export function pulumi(args: string[], opts: { allowFail?: boolean; cwd?: string } = {}): Result {
    const r = run(path.join(TOOLS_BIN, "pulumi"), [...args, "--non-interactive"], { cwd: opts.cwd ?? project, env: pulumiEnv() });
    if (!opts.allowFail) {
        check(`pulumi ${args.join(" ")}`, r);
    }
    return r;
}

export function kubectl(args: string[], opts: { allowFail?: boolean; input?: string } = {}): Result {
    const r = run(path.join(TOOLS_BIN, "kubectl"), ["--kubeconfig", KUBECONFIG, ...args], { input: opts.input });
    if (!opts.allowFail) {
        check(`kubectl ${args.join(" ")}`, r);
    }
    return r;
}

export function kubectlJson(args: string[]): any {
    return JSON.parse(kubectl([...args, "-o", "json"]).stdout);
}

/** Stack outputs, secrets shown (only this throwaway backend ever holds them). */
/** A stack's outputs; `cwd`: the project it belongs to (default: the copied project). */
export function outputs(stack: string, cwd?: string): Record<string, any> {
    return JSON.parse(pulumi(["stack", "output", "--json", "--show-secrets", "--stack", stack], { cwd }).stdout);
}

/** The resources in a stack's state (`pulumi stack export`), each with type, urn, inputs and outputs. */
export function stackResources(stack: string): any[] {
    return JSON.parse(pulumi(["stack", "export", "--stack", stack]).stdout).deployment.resources ?? [];
}

/** Reads a stack file of the copy as a plain `config` map. */
export function readStackConfig(stack: string): Record<string, unknown> {
    const file = path.join(project, `Pulumi.${stack}.yaml`);
    return ((yaml.load(fs.readFileSync(file, "utf8")) as { config?: Record<string, unknown> })?.config ?? {}) as Record<string, unknown>;
}

/** Writes a stack file in the copy, keeping the passphrase salt the CLI stored there. */
export function writeStackConfig(stack: string, config: Record<string, unknown>): void {
    const file = path.join(project, `Pulumi.${stack}.yaml`);
    const current = fs.existsSync(file) ? ((yaml.load(fs.readFileSync(file, "utf8")) as Record<string, unknown>) ?? {}) : {};
    fs.writeFileSync(file, yaml.dump({ ...current, config }));
}

/** Creates a stack in the backend for a stack file of the copy (the file's config is kept). */
export function initStack(stack: string): void {
    const file = path.join(project, `Pulumi.${stack}.yaml`);
    const config = fs.existsSync(file) ? readStackConfig(stack) : {};
    pulumi(["stack", "init", stack, "--secrets-provider", "passphrase"]);
    writeStackConfig(stack, config);
}

/** The project's local stack file, pointed at this harness's cluster. */
export function localStackConfig(): Record<string, unknown> {
    const real = yaml.load(fs.readFileSync(path.join(ROOT, "Pulumi.local.yaml"), "utf8")) as { config: Record<string, unknown> };
    return { ...real.config, "spark-on-k8s:kubeconfigPath": KUBECONFIG };
}

/**
 * Installs KEDA's real ScaledObject CRD (its structural schema only: no KEDA operator, no
 * admission webhook) and waits until the API server serves it.
 */
export function installKedaCrd(): void {
    kubectl(["apply", "--server-side", "-f", KEDA_SCALEDOBJECT_CRD]);
    kubectl(["wait", "--for=condition=Established", "--timeout=60s", "crd/scaledobjects.keda.sh"]);
}

/** Removes KEDA's ScaledObject CRD (and so any ScaledObject left) and waits until it is gone. */
export function removeKedaCrd(): void {
    kubectl(["delete", "--ignore-not-found", "--wait=true", "--timeout=60s", "-f", KEDA_SCALEDOBJECT_CRD]);
}

/** Applies the Prometheus Operator's PodMonitor and PrometheusRule CRDs and waits until they serve. */
export function installPromCrds(): void {
    for (const crd of PROM_CRDS) {
        kubectl(["apply", "--server-side", "-f", crd]);
    }
    kubectl([
        "wait",
        "--for=condition=Established",
        "--timeout=60s",
        "crd/podmonitors.monitoring.coreos.com",
        "crd/prometheusrules.monitoring.coreos.com",
    ]);
}

/** Removes them (and so any PodMonitor or PrometheusRule left) and waits until they are gone. */
export function removePromCrds(): void {
    for (const crd of PROM_CRDS) {
        kubectl(["delete", "--ignore-not-found", "--wait=true", "--timeout=60s", "-f", crd]);
    }
}

function missingTools(): string[] {
    const bins = ["pulumi", "pulumi-language-nodejs", "pulumi-resource-kubernetes", "kubectl", "kube-apiserver", "etcd", "kwok"];
    return [...bins.map((t) => path.join(TOOLS_BIN, t)), KEDA_SCALEDOBJECT_CRD, ...PROM_CRDS]
        .filter((f) => !fs.existsSync(f))
        .map((f) => path.relative(TOOLS_DIR, f));
}

/** Lays out the throwaway project: the real program and stack files, node_modules linked. */
function copyProject(dest: string): void {
    fs.mkdirSync(dest, { recursive: true });
    for (const entry of [
        "Pulumi.yaml",
        "index.ts",
        "tsconfig.json",
        "tsconfig.pulumi.json",
        "package.json",
        "components",
        "images",
        "examples",
    ]) {
        // The image's build context may hold a staged Spark distribution (dist/): not needed here.
        fs.cpSync(path.join(ROOT, entry), path.join(dest, entry), {
            recursive: true,
            filter: (src) => !src.includes(`${path.sep}dist${path.sep}`) && !src.endsWith(`${path.sep}dist`),
        });
    }
    for (const f of fs.readdirSync(ROOT).filter((f) => /^Pulumi\..+\.yaml$/.test(f))) {
        fs.copyFileSync(path.join(ROOT, f), path.join(dest, f));
    }
    fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dest, "node_modules"));
}

/** Starts the control plane and lays out the project copy; idempotent per process. */
export function startEnvironment(): void {
    if (work !== "") {
        return;
    }
    const missing = missingTools();
    if (missing.length > 0) {
        throw new Error(`e2e tier: ${missing.join(", ")} missing in ${TOOLS_DIR}; run scripts/tools/build.sh (npm test does)`);
    }
    work = fs.mkdtempSync(path.join(os.tmpdir(), "spark-e2e-"));
    project = path.join(work, "project");
    copyProject(project);
    fs.mkdirSync(path.join(work, "state"));
    const up = run("bash", [path.join(ROOT, "scripts", "cluster", "up.sh"), "--nodes", "3"], {
        env: { ...process.env, SPARK_LOCAL_CLUSTER_DIR: CLUSTER_DIR },
    });
    check("scripts/cluster/up.sh", up);
    process.stderr.write(`      e2e: control plane up (${CLUSTER_DIR}), project copy in ${project}\n`);
}

/** Stops the control plane and removes the project copy (kept with SPARK_E2E_KEEP=1). */
export function stopEnvironment(): void {
    const down = run("bash", [path.join(ROOT, "scripts", "cluster", "down.sh")], {
        env: { ...process.env, SPARK_LOCAL_CLUSTER_DIR: CLUSTER_DIR },
    });
    if (down.code !== 0) {
        process.stderr.write(`scripts/cluster/down.sh failed:\n${down.stderr}\n`);
    }
    if (work !== "" && !process.env.SPARK_E2E_KEEP) {
        fs.rmSync(work, { recursive: true, force: true });
    }
    work = "";
}
