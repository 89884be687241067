import * as pulumi from "@pulumi/pulumi";
import { StackConfig, Target } from "./config";
import { createPlatform } from "./platforms";
import { ClusterOutputs, SparkCluster } from "./sparkCluster";
import { SparkImage } from "./sparkImage";

export { ClusterOutputs } from "./sparkCluster";

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
            internalLoadBalancerAnnotations: platform.internalLoadBalancerAnnotations,
            kubectlContext: platform.kubectlContext,
        });
        clusters[cluster.name] = sc.outputs;
    }

    return {
        target: config.target,
        ...clusters[config.clusters[0].name],
        clusterName: platform.clusterName,
        kubeconfig: platform.kubeconfig,
        clusters,
    };
}
