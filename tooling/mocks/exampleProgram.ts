// Evaluates the example consumer stack (examples/spark-job) on the shared mocks, in its own process
// (it is a program of its own, for project `spark-job`), with its StackReference answered by given
// outputs, and prints what it registered as JSON.
//   ts-node tooling/mocks/exampleProgram.ts <input.json>
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { ROOT } from "./program";

export const EXAMPLE_DIR = path.join(ROOT, "examples", "spark-job");
export const EXAMPLE_PROJECT = "spark-job";

export interface ExampleInput {
    /** Raw config as the CLI would hand it over, keys `spark-job:<key>`. */
    config: Record<string, string>;
    /** The referenced stack's outputs; `kubeconfig` is reported as a secret output, as the real stack does. */
    outputs: Record<string, unknown>;
}

export interface ExampleRun {
    outputs: Record<string, any>;
    resources: Array<{ type: string; name: string; inputs: Record<string, any>; provider?: string }>;
}

/** Runs this file for one input in a child process and parses what it prints. */
export function runExample(input: ExampleInput): ExampleRun {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "example-")), "input.json");
    fs.writeFileSync(file, JSON.stringify(input));
    const out = execFileSync(process.execPath, ["-r", "ts-node/register", __filename, file], {
        cwd: ROOT,
        env: { ...process.env, TS_NODE_TRANSPILE_ONLY: "1" },
        encoding: "utf8",
        maxBuffer: 64 * 1024 * 1024,
    });
    return JSON.parse(out) as ExampleRun;
}

async function main(): Promise<void> {
    const input = JSON.parse(fs.readFileSync(process.argv[2], "utf8")) as ExampleInput;
    process.env.SPARK_MOCK_PROJECT = EXAMPLE_PROJECT;
    process.env.SPARK_MOCK_STACK = "example";
    const mocks = await import("./mocks");
    // The Kubernetes provider names objects without metadata.name `<resource name>-<random suffix>`.
    const autoName = (args: pulumi.runtime.MockResourceArgs) => ({
        metadata: { ...args.inputs.metadata, name: args.inputs.metadata?.name ?? `${args.name}-0a1b2c3d` },
    });
    mocks.extendMocks({
        state: {
            "kubernetes:core/v1:ConfigMap": autoName,
            "kubernetes:batch/v1:Job": autoName,
            "pulumi:pulumi:StackReference": (args) => ({
                name: args.inputs.name,
                outputs: input.outputs,
                secretOutputNames: ["kubeconfig"].filter((k) => k in input.outputs),
            }),
        },
    });
    pulumi.runtime.setAllConfig(input.config);
    process.chdir(EXAMPLE_DIR);
    const program = await import("../../examples/spark-job/index");
    const outputs = await mocks.resolve({ ...program });
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    await (require("@pulumi/pulumi/runtime/settings") as { waitForRPCs(): Promise<void> }).waitForRPCs();
    process.stdout.write(JSON.stringify({ outputs, resources: mocks.registered() }));
}

if (require.main === module) {
    main().catch((err: unknown) => {
        process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
        process.exit(1);
    });
}
