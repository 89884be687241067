// Journey 3: several Spark clusters from one stack, each in its own namespace; removing an
// entry from `clusters` destroys only that cluster's objects.
import * as assert from "assert";
import { initStack, kubectl, kubectlJson, localStackConfig, outputs, pulumi, waitFor, writeStackConfig } from "./harness";

const STACK = "multi";
const ETL = { name: "etl", workerReplicas: 2 };
const ADHOC = { name: "adhoc", namespace: "spark-adhoc", workerReplicas: 1 };

function deploy(clusters: object[]): void {
    writeStackConfig(STACK, { ...localStackConfig(), "spark-on-k8s:clusters": clusters });
    pulumi(["up", "--yes", "--skip-preview", "--stack", STACK]);
}

function workersAvailable(ns: string, name: string): number {
    return kubectlJson(["-n", ns, "get", "deployment", `${name}-worker`]).status?.availableReplicas ?? 0;
}

describe("several clusters from one stack (real engine)", function () {
    this.timeout(240_000);

    before(() => {
        writeStackConfig(STACK, localStackConfig());
        initStack(STACK);
    });

    after(() => {
        pulumi(["destroy", "--yes", "--skip-preview", "--stack", STACK], { allowFail: true });
    });

    it("3. puts each cluster in its own namespace with its own objects", () => {
        deploy([ETL, ADHOC]);
        assert.strictEqual(workersAvailable("etl", "etl"), 2);
        assert.strictEqual(workersAvailable("spark-adhoc", "adhoc"), 1);
        for (const [ns, name] of [
            ["etl", "etl"],
            ["spark-adhoc", "adhoc"],
        ]) {
            kubectl([
                "-n",
                ns,
                "get",
                `service/${name}-master`,
                `resourcequota/${name}-quota`,
                `limitrange/${name}-limits`,
                `poddisruptionbudget/${name}-worker`,
            ]);
        }
        const out = outputs(STACK);
        assert.deepStrictEqual(Object.keys(out.clusters).sort(), ["adhoc", "etl"]);
        assert.strictEqual(out.clusters.adhoc.masterUrl, "spark://adhoc-master.spark-adhoc.svc.cluster.local:7077");
        assert.strictEqual(out.masterUrl, "spark://etl-master.etl.svc.cluster.local:7077");
    });

    it("3. removing an entry destroys only that cluster", async () => {
        const etlBefore = kubectlJson(["-n", "etl", "get", "deployments"]).items.map((d: any) => d.metadata.resourceVersion);
        deploy([ETL]);
        await waitFor(
            "namespace spark-adhoc to go",
            60_000,
            () => kubectl(["get", "namespace", "spark-adhoc"], { allowFail: true }).code !== 0,
        );
        const etlAfter = kubectlJson(["-n", "etl", "get", "deployments"]).items.map((d: any) => d.metadata.resourceVersion);
        assert.deepStrictEqual(etlAfter, etlBefore);
        assert.deepStrictEqual(Object.keys(outputs(STACK).clusters), ["etl"]);
    });
});
