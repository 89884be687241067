import * as fs from "fs";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { Platform, WebUiExposure } from "./platform";

export interface KubeconfigPlatformArgs {
    /** kubeconfig context; undefined = the kubeconfig's current context. */
    kubeContext?: string;
    /** A kubeconfig file to use instead of the ambient one (KUBECONFIG or ~/.kube/config). */
    kubeconfigPath?: string;
}

/**
 * Base of the platforms for clusters that already exist and that a kubeconfig reaches. With an
 * explicit file, its content (not its path) goes to the provider, so the stack does not depend
 * on the working directory and consumers can read it back as a secret output. The ambient
 * kubeconfig is never exported: it may hold credentials for unrelated clusters.
 */
export abstract class KubeconfigPlatform extends pulumi.ComponentResource implements Platform {
    abstract readonly target: "minikube" | "existing";
    readonly provider: k8s.Provider;
    readonly registry = undefined;
    readonly imagePullPolicy = "IfNotPresent" as const;
    readonly webUi: WebUiExposure = { serviceType: "ClusterIP", annotations: {} };
    readonly kubeconfig?: pulumi.Output<string>;
    readonly kubectlContext?: string;

    protected constructor(type: string, name: string, args: KubeconfigPlatformArgs, opts?: pulumi.ComponentResourceOptions) {
        super(type, name, {}, opts);
        this.kubectlContext = args.kubeContext;
        this.kubeconfig = args.kubeconfigPath === undefined ? undefined : pulumi.secret(fs.readFileSync(args.kubeconfigPath, "utf8"));
        this.provider = new k8s.Provider(`${name}-k8s`, { kubeconfig: this.kubeconfig, context: args.kubeContext }, { parent: this });
        this.registerOutputs({ kubeconfig: this.kubeconfig });
    }
}
