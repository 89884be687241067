import * as pulumi from "@pulumi/pulumi";
import { StackConfig } from "../config";
import { ExistingPlatform } from "./existing";
import { MinikubePlatform } from "./minikube";
import { Platform } from "./platform";

export { Platform } from "./platform";

/** The platform component for the stack's target. */
export function createPlatform(name: string, config: StackConfig, opts?: pulumi.ComponentResourceOptions): Platform {
    const target = config.target;
    switch (target) {
        case "minikube":
            return new MinikubePlatform(name, { kubeContext: config.kubeContext, kubeconfigPath: config.kubeconfigPath }, opts);
        case "existing":
            return new ExistingPlatform(name, { kubeContext: config.kubeContext, kubeconfigPath: config.kubeconfigPath }, opts);
        case "eks":
        case "aks":
            throw new Error(`target ${target}: not implemented yet`);
        default: {
            const unreachable: never = target;
            throw new Error(`unknown target ${String(unreachable)}`);
        }
    }
}
