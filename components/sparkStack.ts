import * as pulumi from "@pulumi/pulumi";
import { StackConfig, Target } from "./config";
import { createPlatform } from "./platforms";
import { SparkCluster } from "./sparkCluster";
import { SparkImage } from "./sparkImage";

/** What one cluster publishes; other stacks read these names through a StackReference. */
export interface ClusterOutputs {
    namespace: pulumi.Output<string>;
    masterUrl: pulumi.Output<string>;
    masterWebUiUrl: pulumi.Output<string>;
    portForwardCommand: pulumi.Output<string>;
    image: pulumi.Output<string>;
    sparkVersion: pulumi.Output<string>;
    workerReplicas: pulumi.Output<number>;
    /** The Secret (in `namespace`) clients mount for RPC authentication; absent with rpcAuth off. */
    rpcAuthSecretName: pulumi.Output<string | undefined>;
    /** The History Server's in-cluster URL (UI and REST API); absent with historyServer off. */
    historyServerUrl: pulumi.Output<string | undefined>;
    /** The ReadWriteMany claim (in `namespace`) clients mount at /opt/spark/events so their event logs reach the History Server. */
    eventLogClaimName: pulumi.Output<string | undefined>;
}

/** The stack's outputs: the primary (first) cluster's values flat, every cluster by name. */
export interface StackOutputs extends ClusterOutputs {
    target: Target;
    clusterName?: pulumi.Output<string>;
    /** Secret; undefined where the stack relies on the ambient kubeconfig. */
    kubeconfig?: pulumi.Output<string>;
    clusters: Record<string, ClusterOutputs>;
}

/**
 * The composition root's body: platform for the target, one image per Spark version that is not
 * given prebuilt, one SparkCluster per configured cluster.
 */
export function createSparkStack(config: StackConfig): StackOutputs {
    const platform = createPlatform(config.target, config);

    const images = new Map<string, SparkImage>();
    const imageFor = (sparkVersion: string): pulumi.Output<string> => {
        let image = images.get(sparkVersion);
        if (image === undefined) {
            image = new SparkImage(`spark-${sparkVersion.replace(/\./g, "-")}`, { sparkVersion, registry: platform.registry });
            images.set(sparkVersion, image);
        }
        return image.ref;
    };

    const clusters: Record<string, ClusterOutputs> = {};
    for (const cluster of config.clusters) {
        const sc = new SparkCluster(cluster.name, {
            cluster,
            image: cluster.image ?? imageFor(cluster.sparkVersion),
            imagePullPolicy: platform.imagePullPolicy,
            provider: platform.provider,
            webUi: platform.webUi,
            kubectlContext: platform.kubectlContext,
        });
        clusters[cluster.name] = {
            namespace: sc.namespace,
            masterUrl: sc.masterUrl,
            masterWebUiUrl: sc.masterWebUiUrl,
            portForwardCommand: sc.portForwardCommand,
            image: sc.image,
            sparkVersion: sc.sparkVersion,
            workerReplicas: sc.workerReplicas,
            rpcAuthSecretName: sc.rpcAuthSecretName,
            historyServerUrl: sc.historyServerUrl,
            eventLogClaimName: sc.eventLogClaimName,
        };
    }

    return {
        target: config.target,
        ...clusters[config.clusters[0].name],
        clusterName: platform.clusterName,
        kubeconfig: platform.kubeconfig,
        clusters,
    };
}
