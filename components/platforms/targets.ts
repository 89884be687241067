// What differs by target, as plain facts: the config schema reads them to know which keys
// apply and what to default, the platform components implement them. Nothing else in the
// program branches on the target.

export const TARGETS = ["minikube", "eks", "aks", "existing"] as const;
export type Target = (typeof TARGETS)[number];

/** Where a target's clusters get ReadWriteMany claims (the event-log volume) when none is configured. */
export type ReadWriteManyDefault =
    /** This StorageClass; undefined = the cluster's default class. */
    | { readonly storageClassName?: string }
    /** No class the target installs offers ReadWriteMany: the user must name one; `why` says what to install. */
    | { readonly missing: string };

/** Where a target's clusters get the master's ReadWriteOnce recovery claim when no class is configured. */
export type ReadWriteOnceDefault =
    /** This StorageClass; undefined = the cluster's default class. */
    | { readonly storageClassName?: string }
    /** No class the target installs binds one: masterRecovery "auto" is then off; `missing` says why. */
    | { readonly missing: string };

export interface TargetFacts {
    /** Reached through a kubeconfig (the stack's kubeContext and kubeconfigPath apply); false = the platform creates the cluster. */
    readonly viaKubeconfig: boolean;
    /** The kubeconfig context used when kubeContext is empty; undefined = the kubeconfig's current context. */
    readonly defaultContext?: string;
    /** The platform can put a built image where the nodes pull from (minikube's Docker, ECR, ACR); false = a prebuilt image is required. */
    readonly buildsImages: boolean;
    /** The master UI can be published through the cloud's LoadBalancer (webUiLoadBalancer). */
    readonly cloudLoadBalancer: boolean;
    readonly readWriteMany: ReadWriteManyDefault;
    readonly readWriteOnce: ReadWriteOnceDefault;
}

export const TARGET_FACTS: Readonly<Record<Target, TargetFacts>> = {
    // `minikube start` writes the context "minikube".
    // minikube's default class "standard" (its storage-provisioner) binds any claim.
    minikube: {
        viaKubeconfig: true,
        defaultContext: "minikube",
        buildsImages: true,
        cloudLoadBalancer: false,
        readWriteMany: {},
        readWriteOnce: {},
    },
    // The cluster's default class; a cluster without one leaves the claim Pending: set
    // masterRecoveryStorageClass or masterRecovery off there.
    existing: { viaKubeconfig: true, buildsImages: false, cloudLoadBalancer: false, readWriteMany: {}, readWriteOnce: {} },
    eks: {
        viaKubeconfig: false,
        buildsImages: true,
        cloudLoadBalancer: true,
        // EBS classes (gp2, gp3) are ReadWriteOnce.
        readWriteMany: {
            missing:
                "needs a ReadWriteMany StorageClass (EBS classes such as gp2/gp3 are ReadWriteOnce); install the EFS CSI driver and name its class",
        },
        // The default class gp2 is provisioned by the EBS CSI driver, which the eks platform does
        // not install (its only add-on is vpc-cni): a claim would stay Pending, and the master too.
        readWriteOnce: {
            missing:
                "needs a StorageClass that binds here: the eks platform installs no EBS CSI driver (gp2 claims stay Pending); add the aws-ebs-csi-driver add-on and name its class in masterRecoveryStorageClass, or set masterRecovery off",
        },
    },
    // AKS's default class is Azure Disk (ReadWriteOnce); Azure Files is built in and shared.
    // Its default class (managed-csi, Azure Disk) binds ReadWriteOnce claims.
    aks: {
        viaKubeconfig: false,
        buildsImages: true,
        cloudLoadBalancer: true,
        readWriteMany: { storageClassName: "azurefile-csi" },
        readWriteOnce: {},
    },
};

/** The targets with a given fact, for messages ("applies only to the minikube and existing targets"). */
export function targetsWhere(fact: (f: TargetFacts) => boolean): Target[] {
    return TARGETS.filter((t) => fact(TARGET_FACTS[t]));
}
