import * as pulumi from "@pulumi/pulumi";
import { KubeconfigPlatform, KubeconfigPlatformArgs } from "./kubeconfig";
import { TARGET_FACTS } from "./targets";

/** The context `minikube start` writes. */
export const MINIKUBE_CONTEXT = TARGET_FACTS.minikube.defaultContext;

/**
 * A laptop or on-prem minikube (context `minikube` unless `kubeContext` says otherwise). Images
 * are built straight into minikube's Docker daemon (`eval $(minikube docker-env)` before
 * `pulumi up`), so nothing is pushed and pods use the image already on the node.
 */
export class MinikubePlatform extends KubeconfigPlatform {
    readonly target = "minikube" as const;

    constructor(name: string, args: KubeconfigPlatformArgs, opts?: pulumi.ComponentResourceOptions) {
        super("spark-on-k8s:platforms:Minikube", name, { ...args, kubeContext: args.kubeContext ?? MINIKUBE_CONTEXT }, opts);
    }
}
