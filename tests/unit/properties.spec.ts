// Properties of the whole program: what a config edit changes, and what it leaves alone.
import * as assert from "assert";
import { evaluate, one, Recorded } from "../../tooling/mocks/mocks";

/** Paths at which two JSON-like values differ. */
function diffPaths(a: unknown, b: unknown, at = ""): string[] {
    if (typeof a === "object" && a !== null && typeof b === "object" && b !== null) {
        const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
        return [...keys].flatMap((k) => diffPaths((a as any)[k], (b as any)[k], at === "" ? k : `${at}.${k}`));
    }
    return a === b ? [] : [at];
}

/** `type name` -> paths whose inputs changed, for resources present in both runs; added/removed listed too. */
function changes(before: Recorded[], after: Recorded[]): Record<string, string[]> {
    const key = (r: Recorded) => `${r.type} ${r.name}`;
    const b = new Map(before.map((r) => [key(r), r]));
    const a = new Map(after.map((r) => [key(r), r]));
    const out: Record<string, string[]> = {};
    for (const [k, r] of a) {
        const old = b.get(k);
        // The RPC secret is a fresh random value on every run, discarded by its ignoreChanges
        // (the e2e tier proves a real preview shows no change for it).
        const paths = (old === undefined ? ["(added)"] : diffPaths(old.inputs, r.inputs)).filter(
            (p) => !(r.type === "kubernetes:core/v1:Secret" && p.startsWith("stringData.")),
        );
        if (old !== undefined && old.provider !== r.provider) {
            paths.push("(provider)");
        }
        if (paths.length > 0) {
            out[k] = paths;
        }
    }
    for (const k of b.keys()) {
        if (!a.has(k)) {
            out[k] = ["(removed)"];
        }
    }
    return out;
}

const TWO_CLUSTERS = [
    { name: "etl", workerReplicas: 2 },
    { name: "adhoc", workerReplicas: 1 },
];

describe("config edits change exactly what they should", () => {
    it("a workerReplicas edit changes one input: the worker Deployment's replicas", async () => {
        const before = await evaluate({ workerReplicas: "2" });
        const after = await evaluate({ workerReplicas: "5" });
        assert.deepStrictEqual(changes(before.resources, after.resources), {
            "kubernetes:apps/v1:Deployment spark-worker": ["spec.replicas"],
        });
        assert.strictEqual(after.outputs.workerReplicas, 5);
    });

    it("scaling to zero workers is the same one-input change", async () => {
        const before = await evaluate({ workerReplicas: "2" });
        const after = await evaluate({ workerReplicas: "0" });
        assert.deepStrictEqual(changes(before.resources, after.resources), {
            "kubernetes:apps/v1:Deployment spark-worker": ["spec.replicas"],
        });
    });

    it("resizing one of several clusters touches only that cluster's objects", async () => {
        const before = await evaluate({ clusters: JSON.stringify(TWO_CLUSTERS) });
        const after = await evaluate({
            clusters: JSON.stringify([{ ...TWO_CLUSTERS[0], workerMemory: "4Gi", workerCores: 2 }, TWO_CLUSTERS[1]]),
        });
        const changed = Object.keys(changes(before.resources, after.resources));
        assert.ok(changed.length > 0);
        for (const k of changed) {
            assert.match(k, / etl-/, `${k} changed, but it is not the etl cluster's`);
        }
        assert.deepStrictEqual(changed.sort(), [
            "kubernetes:apps/v1:Deployment etl-worker",
            "kubernetes:core/v1:LimitRange etl-limits",
            "kubernetes:core/v1:ResourceQuota etl-quota",
        ]);
    });

    it("removing a cluster removes only its objects", async () => {
        const before = await evaluate({ clusters: JSON.stringify(TWO_CLUSTERS) });
        const after = await evaluate({ clusters: JSON.stringify([TWO_CLUSTERS[0]]) });
        const delta = changes(before.resources, after.resources);
        assert.ok(Object.keys(delta).length >= 8);
        for (const [k, paths] of Object.entries(delta)) {
            assert.match(k, / adhoc/, k);
            assert.deepStrictEqual(paths, ["(removed)"], k);
        }
    });

    it("a sparkVersion edit changes only the image and the two workloads", async () => {
        const before = await evaluate({ sparkVersion: "3.5.9" });
        const after = await evaluate({ sparkVersion: "4.3.0" });
        const delta = changes(before.resources, after.resources);
        assert.deepStrictEqual(Object.keys(delta).sort(), [
            "docker:index/image:Image spark-3-5-9-image",
            "docker:index/image:Image spark-4-3-0-image",
            "kubernetes:apps/v1:Deployment spark-master",
            "kubernetes:apps/v1:Deployment spark-worker",
            "spark-on-k8s:image:SparkImage spark-3-5-9",
            "spark-on-k8s:image:SparkImage spark-4-3-0",
        ]);
        for (const workload of ["spark-master", "spark-worker"]) {
            assert.deepStrictEqual(delta[`kubernetes:apps/v1:Deployment ${workload}`].sort(), [
                "metadata.labels.app.kubernetes.io/version",
                "spec.template.metadata.labels.app.kubernetes.io/version",
                // The master's recovery directory is per Spark version (clusterSpec.recoveryDir).
                ...(workload === "spark-master" ? ["spec.template.spec.containers.0.env.5.value"] : []),
                "spec.template.spec.containers.0.image",
            ]);
        }
        const master = one(after.resources, "kubernetes:apps/v1:Deployment", "spark-master").inputs.spec.template.spec.containers[0];
        assert.strictEqual(master.env[5].name, "SPARK_RECOVERY_DIR");
        assert.strictEqual(master.env[5].value, "/opt/spark/recovery/spark-4.3.0");
    });

    it("with a prebuilt image, an image edit changes the two workloads' image and nothing else", async () => {
        const before = await evaluate({ target: "existing", image: "registry.example.com/spark:3.5.9", sparkVersion: "3.5.9" });
        const after = await evaluate({ target: "existing", image: "registry.example.com/spark:4.3.0", sparkVersion: "4.3.0" });
        const delta = changes(before.resources, after.resources);
        assert.deepStrictEqual(Object.keys(delta).sort(), [
            "kubernetes:apps/v1:Deployment spark-master",
            "kubernetes:apps/v1:Deployment spark-worker",
        ]);
        assert.ok(delta["kubernetes:apps/v1:Deployment spark-worker"].includes("spec.template.spec.containers.0.image"));
    });
});
