// Example consumer of spark-on-k8s: reads the Spark stack's outputs (masterUrl, namespace, image,
// kubeconfig) through a StackReference and submits a PySpark job to that cluster as a Job, in the
// cluster's namespace, with the cluster's image, through a provider built from its kubeconfig.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { jobLabels, jobSpec, PI_SCRIPT, scannerAnnotations, SCRIPT } from "./job";

const config = new pulumi.Config();
const sparkStack = config.require("sparkStack");
const partitions = config.getNumber("partitions") ?? 10;
const executorMemory = config.get("executorMemory") ?? "512m";
const totalExecutorCores = config.getNumber("totalExecutorCores") ?? 2;
if (!Number.isInteger(partitions) || partitions < 1 || partitions > 1000) {
    throw new Error(`spark-job:partitions=${partitions} is not valid: expected a whole number from 1 to 1000`);
}
if (!/^[1-9][0-9]*[mg]$/.test(executorMemory)) {
    throw new Error(`spark-job:executorMemory=${executorMemory} is not valid: expected a size such as 512m or 2g`);
}
if (!Number.isInteger(totalExecutorCores) || totalExecutorCores < 1) {
    throw new Error(`spark-job:totalExecutorCores=${totalExecutorCores} is not valid: expected a whole number of at least 1`);
}

// The resource name stays fixed; the referenced stack comes from config.
const spark = new pulumi.StackReference("spark", { name: sparkStack });
const output = (name: string) => spark.requireOutput(name) as pulumi.Output<string>;
const sparkNamespace = output("namespace");

// The kubeconfig output is a secret and stays one in this stack's state.
const provider = new k8s.Provider("spark-cluster", { kubeconfig: output("kubeconfig") });

const script = new k8s.core.v1.ConfigMap(
    "spark-pi",
    { metadata: { namespace: sparkNamespace, labels: jobLabels() }, data: { [SCRIPT]: PI_SCRIPT } },
    { provider },
);

// Auto-named, so a changed script or setting replaces the Job (its pod template is immutable)
// by creating the new one first. Pulumi waits for the Job to complete.
const image = output("image");
const job = new k8s.batch.v1.Job(
    "spark-pi",
    {
        metadata: { namespace: sparkNamespace, labels: jobLabels(), annotations: image.apply(scannerAnnotations) },
        spec: jobSpec({
            masterUrl: output("masterUrl"),
            image,
            scriptConfigMap: script.metadata.name,
            executorMemory,
            totalExecutorCores,
            partitions,
            authSecretName: spark.getOutput("rpcAuthSecretName") as pulumi.Output<string | undefined>,
            // Absent from stacks older than the output: those clusters do not encrypt.
            networkCrypto: spark.getOutput("networkCrypto").apply((v) => v === true),
            eventLogClaimName: spark.getOutput("eventLogClaimName") as pulumi.Output<string | undefined>,
        }),
    },
    { provider },
);

export const jobName = job.metadata.name;
export const namespace = job.metadata.namespace;
