// What the cloud specs share: ambient config of each cloud, object filters and assertions.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import { ConfigError } from "../../components/config";
import { all, Evaluation, parseAny, Recorded } from "../../tooling/mocks/mocks";

// eslint-disable-next-line @typescript-eslint/no-require-imports
export const settings = require("@pulumi/pulumi/runtime/settings") as { waitForRPCs(): Promise<void> };

export const ROOT = path.join(__dirname, "..", "..");
export const EKS_AMBIENT = { "aws:region": "eu-west-1" };
export const AKS_AMBIENT = { "azure-native:location": "westeurope" };
export const SECRET_SIG = "4dabf18193072939515e22adb298388d";
export const DOCKER_IMAGE = "docker:index/image:Image";
export const K8S_PROVIDER = "pulumi:providers:kubernetes";

/** A recorded input with a secret's wrapper (if any) removed. */
export function plain(value: any): any {
    return value !== null && typeof value === "object" && SECRET_SIG in value ? value.value : value;
}

/** Every Kubernetes object (not the provider) of an evaluation. */
export function k8sObjects(e: Evaluation): Recorded[] {
    return e.resources.filter((r) => r.type.startsWith("kubernetes:"));
}

/** Asserts there is one Kubernetes provider, named `name`, and every Kubernetes object uses it. */
export function assertAllOnProvider(e: Evaluation, name: string): void {
    const providers = all(e.resources, K8S_PROVIDER);
    assert.deepStrictEqual(
        providers.map((p) => p.name),
        [name],
    );
    const objects = k8sObjects(e);
    assert.ok(objects.length >= 8, `only ${objects.length} Kubernetes objects`);
    for (const r of objects) {
        assert.notStrictEqual(r.provider, undefined, `${r.type} ${r.name} has no provider`);
        assert.match(r.provider!, new RegExp(`\\$${K8S_PROVIDER}::${name}::${name}-id$`), `${r.type} ${r.name}`);
    }
}

/** Asserts the one LoadBalancer Service of the stack carries exactly the platform's annotations. */
export function assertUiLoadBalancer(e: Evaluation, annotations: Record<string, string>): void {
    const lbs = all(e.resources, "kubernetes:core/v1:Service").filter((r) => r.inputs.spec.type === "LoadBalancer");
    assert.strictEqual(lbs.length, 1, lbs.map((r) => r.name).join(", "));
    assert.deepStrictEqual(lbs[0].inputs.metadata.annotations, annotations);
}

/** Asserts `raw` is refused with a ConfigError whose message names `key` and matches `allowed`. */
export function refuses(raw: Record<string, string>, ambient: Record<string, string>, key: string, allowed: RegExp): void {
    assert.throws(
        () => parseAny(raw, ambient),
        (err: unknown) => {
            assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
            const problem = err.problems.find((p) => p.includes(`${key} = `));
            assert.ok(problem, `no problem names ${key}: ${err.problems.join(" | ")}`);
            assert.match(problem, allowed);
            assert.ok(err.message.includes(key), err.message);
            return true;
        },
    );
}

/** A stack file's config as the CLI hands it over: project keys without prefix, others in `ambient`. */
export function stackFile(stack: string): { raw: Record<string, string>; ambient: Record<string, string> } {
    const file = yaml.load(fs.readFileSync(path.join(ROOT, `Pulumi.${stack}.yaml`), "utf8")) as { config: Record<string, unknown> };
    const raw: Record<string, string> = {};
    const ambient: Record<string, string> = {};
    for (const [key, value] of Object.entries(file.config)) {
        const text = typeof value === "string" ? value : JSON.stringify(value);
        if (key.startsWith("spark-on-k8s:")) {
            raw[key.slice("spark-on-k8s:".length)] = text;
        } else {
            ambient[key] = text;
        }
    }
    return { raw, ambient };
}
