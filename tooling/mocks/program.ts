// Evaluates the real program (index.ts) for one stack file on the shared mocks, in its own
// process (a program module runs once per process), and prints what it registered as JSON.
//   ts-node tooling/mocks/program.ts <stack> [overrides.json]
// Config comes from Pulumi.<stack>.yaml over Pulumi.yaml's defaults, as the CLI would merge it.
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as yaml from "js-yaml";
import * as pulumi from "@pulumi/pulumi";
import { standInKubeconfig } from "./kubeconfig";

export const ROOT = path.join(__dirname, "..", "..");

/** The config the CLI would hand the program for a stack: Pulumi.yaml defaults, then the stack file. */
export function stackConfig(stack: string): Record<string, string> {
    const project = yaml.load(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8")) as {
        name: string;
        config: Record<string, { default?: unknown; value?: unknown }>;
    };
    const out: Record<string, string> = {};
    const put = (key: string, value: unknown) => {
        const full = key.includes(":") ? key : `${project.name}:${key}`;
        out[full] = typeof value === "string" ? value : JSON.stringify(value);
    };
    for (const [key, decl] of Object.entries(project.config)) {
        if (decl.default !== undefined) {
            put(key, decl.default);
        }
    }
    const file = yaml.load(fs.readFileSync(path.join(ROOT, `Pulumi.${stack}.yaml`), "utf8")) as { config?: Record<string, unknown> };
    for (const [key, value] of Object.entries(file.config ?? {})) {
        put(key, value);
    }
    return out;
}

/** Stack files present in the repository. */
export const STACKS = fs
    .readdirSync(ROOT)
    .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
    .filter((s): s is string => s !== undefined)
    .sort();

/**
 * Overrides a stack needs on a machine without its cluster: a stack pointed at a kubeconfig
 * file (the local control plane's, made by scripts/cluster/up.sh) gets a stand-in file.
 */
export function overridesFor(stack: string): Record<string, string> {
    if (stackConfig(stack)["spark-on-k8s:kubeconfigPath"] === "") {
        return {};
    }
    return { "spark-on-k8s:kubeconfigPath": standInKubeconfig(stackConfig(stack)["spark-on-k8s:kubeContext"] || "stand-in") };
}

export interface ProgramRun {
    stack: string;
    outputs: Record<string, any>;
    secrets: string[];
    resources: Array<{ type: string; name: string; inputs: Record<string, any>; provider?: string }>;
    usage: { ms: number; maxRssMiB: number };
}

/** Runs this file for a stack (or `--floor`) in a child process and parses what it prints. */
export function runProgram(stack: string, overrides: Record<string, string> = {}): ProgramRun {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "overrides-")), "o.json");
    fs.writeFileSync(file, JSON.stringify(overrides));
    const out = execFileSync(process.execPath, ["-r", "ts-node/register", __filename, stack, file], {
        cwd: ROOT,
        env: { ...process.env, TS_NODE_TRANSPILE_ONLY: "1" },
        encoding: "utf8",
        maxBuffer: 64 * 1024 * 1024,
    });
    return JSON.parse(out) as ProgramRun;
}

const runs = new Map<string, ProgramRun>();

/** runProgram for a stack file with overridesFor it, run once per test process and shared. */
export function runStack(stack: string): ProgramRun {
    let run = runs.get(stack);
    if (run === undefined) {
        run = runProgram(stack, overridesFor(stack));
        runs.set(stack, run);
    }
    return run;
}

/** Time since process start and peak memory, for bench/evaluate.ts. */
function usage(): { ms: number; maxRssMiB: number } {
    return { ms: Math.round(performance.now()), maxRssMiB: Math.round(process.resourceUsage().maxRSS / 1024) };
}

async function main(): Promise<void> {
    const [stack, overridesFile] = process.argv.slice(2);
    if (stack === "--floor") {
        // The bench's floor: the same process loading every SDK the program uses, registering nothing.
        await import("./mocks");
        await import("./cloudMocks");
        await import("../../components/sparkStack");
        process.stdout.write(JSON.stringify({ usage: usage() }));
        return;
    }
    const config = { ...stackConfig(stack), ...(overridesFile ? JSON.parse(fs.readFileSync(overridesFile, "utf8")) : {}) };
    process.env.SPARK_MOCK_STACK = stack;
    const mocks = await import("./mocks");
    await import("./cloudMocks");
    pulumi.runtime.setAllConfig(config);
    process.chdir(ROOT);
    const program = await import("../../index");
    const outputs = await mocks.resolve({ ...program });
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    await (require("@pulumi/pulumi/runtime/settings") as { waitForRPCs(): Promise<void> }).waitForRPCs();
    const secrets: string[] = [];
    for (const [name, value] of Object.entries(program)) {
        if (pulumi.Output.isInstance(value) && (await mocks.isSecret(value))) {
            secrets.push(name);
        }
    }
    process.stdout.write(JSON.stringify({ stack, outputs, secrets, resources: mocks.registered(), usage: usage() }));
}

if (require.main === module) {
    main().catch((err: unknown) => {
        process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
        process.exit(1);
    });
}
