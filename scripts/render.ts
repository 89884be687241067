// npm run render -- <stack> [outDir]: evaluates the program for a stack on Pulumi mocks and
// writes the Kubernetes objects it would apply, one YAML file each (default rendered/<stack>/).
// Values that only a cloud would know (cluster endpoints, registry digests) are placeholders
// from the mocks; every file says so.
// npm run render -- --example spark-job [outDir]: the same for the example consumer stack
// (examples/spark-job), its StackReference answered by the outputs of this program's `local`
// stack (default rendered/example-spark-job/).
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import { EXAMPLE_PROJECT, runExample } from "../tooling/mocks/exampleProgram";
import { overridesFor, ROOT, runProgram } from "../tooling/mocks/program";

// Pulumi's marker for secret values in resource inputs.
const SECRET_SIG = "4dabf18193072939515e22adb298388d";

/** Unwraps secrets (rendered objects are for validators; nothing here is applied). */
function plain(value: unknown): unknown {
    if (Array.isArray(value)) {
        return value.map(plain);
    }
    if (value !== null && typeof value === "object") {
        const o = value as Record<string, unknown>;
        if (SECRET_SIG in o) {
            return plain(o.value);
        }
        return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, plain(v)]));
    }
    return value;
}

/** A rendered Kubernetes object: what validators read. */
interface K8sObject {
    kind: string;
    metadata: { name?: string; namespace?: string; [key: string]: unknown };
    [key: string]: unknown;
}

/**
 * The Kubernetes objects among registered resources, in apply order (namespaces first). An object
 * left without metadata.name gets the name the provider would give it: `<resource name>-<suffix>`.
 */
function kubernetesObjects(resources: Array<{ type: string; name: string; inputs: Record<string, unknown> }>): K8sObject[] {
    const objects = resources
        .filter((r) => r.type.startsWith("kubernetes:"))
        .map((r) => {
            const o = plain(r.inputs) as K8sObject;
            return o.metadata?.name === undefined ? { ...o, metadata: { ...o.metadata, name: `${r.name}-0a1b2c3d` } } : o;
        });
    const rank = (o: K8sObject) => (o.kind === "Namespace" ? 0 : 1);
    return objects.sort((a, b) => rank(a) - rank(b));
}

/** Kubernetes objects of a stack, in apply order (namespaces first); `config` overrides its stack file. */
export function renderStack(stack: string, config: Record<string, string> = {}): K8sObject[] {
    return kubernetesObjects(runProgram(stack, { ...overridesFor(stack), ...config }).resources);
}

/** Stack of this program whose outputs answer the example's StackReference when rendering it. */
export const EXAMPLE_REFERENCED_STACK = "local";

/** Kubernetes objects of the example consumer stack, reading the outputs of this program's `local` stack. */
export function renderExample(): K8sObject[] {
    const spark = runProgram(EXAMPLE_REFERENCED_STACK, overridesFor(EXAMPLE_REFERENCED_STACK));
    const run = runExample({
        config: { [`${EXAMPLE_PROJECT}:sparkStack`]: `organization/spark-on-k8s/${EXAMPLE_REFERENCED_STACK}` },
        outputs: spark.outputs,
    });
    return kubernetesObjects(run.resources);
}

/** Writes objects as `NN-<kind>-<namespace>-<name>.yaml` into a fresh directory and returns it. */
function writeObjects(objects: K8sObject[], source: string, outDir: string): string {
    fs.rmSync(outDir, { recursive: true, force: true });
    fs.mkdirSync(outDir, { recursive: true });
    objects.forEach((o, i) => {
        const name = [String(i).padStart(2, "0"), o.kind.toLowerCase(), o.metadata.namespace, o.metadata.name].filter(Boolean).join("-");
        const header = `# Rendered from ${source} on Pulumi mocks (npm run render): cloud-derived values are placeholders.\n`;
        fs.writeFileSync(path.join(outDir, `${name}.yaml`), header + yaml.dump(o, { noRefs: true, sortKeys: false }));
    });
    return outDir;
}

/** Writes a stack's objects (default rendered/<stack>/) and returns the directory. */
export function writeRendered(stack: string, outDir = path.join(ROOT, "rendered", stack), config: Record<string, string> = {}): string {
    return writeObjects(renderStack(stack, config), `stack "${stack}"`, outDir);
}

/** Writes the example's objects (default rendered/example-spark-job/) and returns the directory. */
export function writeRenderedExample(outDir = path.join(ROOT, "rendered", "example-spark-job")): string {
    return writeObjects(renderExample(), `examples/spark-job (StackReference: stack "${EXAMPLE_REFERENCED_STACK}")`, outDir);
}

if (require.main === module) {
    const args = process.argv.slice(2);
    if (args[0] === "--example") {
        if (args[1] !== "spark-job") {
            process.stderr.write("usage: npm run render -- --example spark-job [outDir]\n");
            process.exit(2);
        }
        console.log(writeRenderedExample(args[2]));
        process.exit(0);
    }
    const [stack, outDir] = args;
    if (!stack) {
        process.stderr.write("usage: npm run render -- <stack> [outDir] | --example spark-job [outDir]\n");
        process.exit(2);
    }
    if (!fs.existsSync(path.join(ROOT, `Pulumi.${stack}.yaml`))) {
        process.stderr.write(`no stack file Pulumi.${stack}.yaml in ${ROOT}\n`);
        process.exit(2);
    }
    console.log(writeRendered(stack, outDir));
}
