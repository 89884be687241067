// The prod stack files (eks and aks) evaluate to full graphs.
import * as assert from "assert";
import { aksWebUi } from "../../components/platforms/aks";
import { eksWebUi } from "../../components/platforms/eks";
import { all, evaluate, isSecret, one } from "../../tooling/mocks/mocks";
import { assertAllOnProvider, assertUiLoadBalancer, stackFile } from "./cloudSpecs";

describe("prod stack files", () => {
    it("Pulumi.prod.yaml evaluates to a full EKS graph", async () => {
        const { raw, ambient } = stackFile("prod");
        assert.strictEqual(raw.target, "eks");
        const e = await evaluate(raw, ambient);
        assert.strictEqual(e.outputs.target, "eks");
        const nodes = one(e.resources, "aws:eks/nodeGroup:NodeGroup").inputs;
        assert.deepStrictEqual(nodes.scalingConfig, { desiredSize: 4, minSize: 3, maxSize: 10 });
        assert.deepStrictEqual(nodes.instanceTypes, ["m6i.2xlarge"]);
        assert.strictEqual(e.config.eks?.webUiLoadBalancer, "internal");
        assertUiLoadBalancer(e, eksWebUi("internal").annotations);
        assert.strictEqual(all(e.resources, "kubernetes:apps/v1:Deployment").length, 2);
        assert.strictEqual(e.outputs.workerReplicas, 6);
        assert.match(e.outputs.image, /\.dkr\.ecr\.eu-west-1\.amazonaws\.com\/.+@sha256:/);
        assert.strictEqual(await isSecret(e.stack.kubeconfig!), true);
        assertAllOnProvider(e, "eks-k8s");
    });

    it("Pulumi.prod-aks.yaml evaluates to a full AKS graph", async () => {
        const { raw, ambient } = stackFile("prod-aks");
        assert.strictEqual(raw.target, "aks");
        assert.strictEqual(ambient["azure-native:location"], "westeurope");
        const e = await evaluate(raw, ambient);
        assert.strictEqual(e.outputs.target, "aks");
        const pool = one(e.resources, "azure-native:containerservice:ManagedCluster").inputs.agentPoolProfiles[0];
        assert.deepStrictEqual(
            [pool.vmSize, pool.count, pool.minCount, pool.maxCount, pool.enableAutoScaling],
            ["Standard_D8s_v5", 4, 3, 10, true],
        );
        assert.deepStrictEqual(one(e.resources, "azure-native:containerregistry:Registry").inputs.sku, { name: "Standard" });
        assert.strictEqual(e.config.aks?.webUiLoadBalancer, "internal");
        assertUiLoadBalancer(e, aksWebUi("internal").annotations);
        // master, workers and the History Server, its event logs on Azure Files.
        assert.strictEqual(all(e.resources, "kubernetes:apps/v1:Deployment").length, 3);
        assert.deepStrictEqual(one(e.resources, "kubernetes:core/v1:PersistentVolumeClaim", "spark-event-logs").inputs.spec, {
            accessModes: ["ReadWriteMany"],
            storageClassName: "azurefile-csi",
            resources: { requests: { storage: "50Gi" } },
        });
        // The master's recovery state on AKS's default class (Azure Disk, ReadWriteOnce).
        assert.deepStrictEqual(one(e.resources, "kubernetes:core/v1:PersistentVolumeClaim", "spark-master-recovery").inputs.spec, {
            accessModes: ["ReadWriteOnce"],
            resources: { requests: { storage: "1Gi" } },
        });
        assert.strictEqual(e.outputs.historyServerUrl, "http://spark-history.spark.svc.cluster.local:18080");
        assert.strictEqual(e.outputs.workerReplicas, 6);
        assert.match(e.outputs.image, /\.azurecr\.io\/spark@sha256:/);
        assert.strictEqual(await isSecret(e.stack.kubeconfig!), true);
        assertAllOnProvider(e, "aks-k8s");
    });
});
