import * as pulumi from "@pulumi/pulumi";
import { StackConfig } from "../config";
import { AksPlatform } from "./aks";
import { EksPlatform } from "./eks";
import { ExistingPlatform } from "./existing";
import { MinikubePlatform } from "./minikube";
import { Platform } from "./platform";

export { Platform } from "./platform";

/** The platform component for the stack's target. */
export function createPlatform(name: string, config: StackConfig, opts?: pulumi.ComponentResourceOptions): Platform {
    switch (config.target) {
        case "minikube":
            return new MinikubePlatform(name, { kubeContext: config.kubeContext, kubeconfigPath: config.kubeconfigPath }, opts);
        case "existing":
            return new ExistingPlatform(name, { kubeContext: config.kubeContext, kubeconfigPath: config.kubeconfigPath }, opts);
        case "eks":
            return new EksPlatform(name, { config: config.eks }, opts);
        case "aks":
            return new AksPlatform(name, { config: config.aks }, opts);
        default: {
            const unreachable: never = config;
            throw new Error(`unknown target ${String((unreachable as StackConfig).target)}`);
        }
    }
}
