// npm run render -- <stack> [outDir]: evaluates the program for a stack on Pulumi mocks and
// writes the Kubernetes objects it would apply, one YAML file each (default rendered/<stack>/).
// Values that only a cloud would know (cluster endpoints, registry digests) are placeholders
// from the mocks; every file says so.
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import { overridesFor, ROOT, runProgram } from "../tests/unit/program";

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

/** Kubernetes objects of a stack, in apply order (namespaces first). */
export function renderStack(stack: string): Record<string, unknown>[] {
    const run = runProgram(stack, overridesFor(stack));
    const objects = run.resources.filter((r) => r.type.startsWith("kubernetes:")).map((r) => plain(r.inputs) as Record<string, any>);
    const rank = (o: Record<string, any>) => (o.kind === "Namespace" ? 0 : 1);
    return objects.sort((a, b) => rank(a) - rank(b));
}

/** Writes the objects as `NN-<kind>-<namespace>-<name>.yaml` and returns the directory. */
export function writeRendered(stack: string, outDir = path.join(ROOT, "rendered", stack)): string {
    fs.rmSync(outDir, { recursive: true, force: true });
    fs.mkdirSync(outDir, { recursive: true });
    renderStack(stack).forEach((o: Record<string, any>, i) => {
        const name = [String(i).padStart(2, "0"), o.kind.toLowerCase(), o.metadata.namespace, o.metadata.name].filter(Boolean).join("-");
        const header = `# Rendered from stack "${stack}" on Pulumi mocks (npm run render): cloud-derived values are placeholders.\n`;
        fs.writeFileSync(path.join(outDir, `${name}.yaml`), header + yaml.dump(o, { noRefs: true, sortKeys: false }));
    });
    return outDir;
}

if (require.main === module) {
    const [stack, outDir] = process.argv.slice(2);
    if (!stack) {
        process.stderr.write("usage: npm run render -- <stack> [outDir]\n");
        process.exit(2);
    }
    if (!fs.existsSync(path.join(ROOT, `Pulumi.${stack}.yaml`))) {
        process.stderr.write(`no stack file Pulumi.${stack}.yaml in ${ROOT}\n`);
        process.exit(2);
    }
    console.log(writeRendered(stack, outDir));
}
