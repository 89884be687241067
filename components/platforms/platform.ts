import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { Target } from "./targets";

/** A registry SparkImage pushes to, with the credentials to push. */
export interface ImageRegistry {
    /** Registry host, e.g. `123456789012.dkr.ecr.eu-west-1.amazonaws.com`. */
    readonly server: pulumi.Input<string>;
    /** Repository inside the registry, without tag: `<server>/spark`. */
    readonly repository: pulumi.Input<string>;
    readonly username: pulumi.Input<string>;
    /** Always a secret. */
    readonly password: pulumi.Input<string>;
}

/** How the Spark master web UI is reachable from outside the cluster. */
export interface WebUiExposure {
    /** ClusterIP keeps the UI private (reach it with port-forward); LoadBalancer publishes it. */
    readonly serviceType: "ClusterIP" | "LoadBalancer";
    /** Annotations the cloud needs on the Service, e.g. to keep a load balancer internal. */
    readonly annotations: Record<string, string>;
}

/**
 * What SparkImage and SparkCluster need to know about where they run. Each target's platform
 * component implements it; nothing else in the program branches on the target.
 */
export interface Platform {
    readonly target: Target;
    /** The explicit provider every Kubernetes object is created with. */
    readonly provider: k8s.Provider;
    /** Where images go. Undefined: the image is built into the cluster's own Docker daemon and never pushed. */
    readonly registry?: ImageRegistry;
    /** Pull policy that works with how images reach this platform. */
    readonly imagePullPolicy: "IfNotPresent" | "Always";
    readonly webUi: WebUiExposure;
    /** Annotations that make a LoadBalancer Service internal (Spark Connect's opt-in); undefined where the target has no cloud load balancer. */
    readonly internalLoadBalancerAnnotations?: Record<string, string>;
    /** The Kubernetes cluster's name, where the platform creates or knows it. */
    readonly clusterName?: pulumi.Output<string>;
    /** The kubeconfig consumers of this stack use, as a secret; undefined when the stack relies on the ambient one. */
    readonly kubeconfig?: pulumi.Output<string>;
    /** kubectl context for the commands printed to users (port-forward); undefined = current context. */
    readonly kubectlContext?: string;
}
