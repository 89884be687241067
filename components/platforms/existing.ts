import * as pulumi from "@pulumi/pulumi";
import { KubeconfigPlatform, KubeconfigPlatformArgs } from "./kubeconfig";

/**
 * Any cluster a kubeconfig reaches (on-prem, kind, a cluster another team runs). It has no
 * registry of ours, so clusters on it deploy a prebuilt image (`image` config).
 */
export class ExistingPlatform extends KubeconfigPlatform {
    readonly target = "existing" as const;

    constructor(name: string, args: KubeconfigPlatformArgs, opts?: pulumi.ComponentResourceOptions) {
        super("spark-on-k8s:platforms:Existing", name, args, opts);
    }
}
