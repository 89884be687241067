// The stack's config as one schema: a union on `target`, each variant with the keys that apply
// to it, every variant with the same list of clusters. The types the program uses are inferred
// from it. Target facts (which keys apply, what to default) come from components/platforms/targets.ts.
import { z } from "zod";
import { Target, TARGET_FACTS, TARGETS } from "../platforms/targets";
import { CLUSTER_KEYS, ClusterConfig, clustersSchema } from "./cluster";
import { problem } from "./fields";
import { aksConfig, aksFields, eksConfig, eksFields, kubeconfigFields } from "./targets";

/**
 * Defaults of the keys declared in Pulumi.yaml. The CLI applies Pulumi.yaml's defaults, mocks do
 * not, so the loader applies these; a unit test keeps the two lists equal.
 */
export const DEFAULTS = {
    target: "minikube",
    kubeContext: "",
    kubeconfigPath: "",
    namespace: "spark",
    workerReplicas: 2,
    maxWorkerReplicas: 10,
    sparkVersion: "4.3.0",
    image: "",
    workerCores: 1,
    workerMemory: "2Gi",
    masterCores: 1,
    masterMemory: "1Gi",
    workerMaxUnavailable: 1,
    rpcAuth: true,
    networkCrypto: true,
    workerDecommissionSeconds: 60,
    historyServer: false,
    eventLogStorageClass: "",
    eventLogSize: "10Gi",
    masterRecovery: "auto",
    masterRecoveryStorageClass: "",
    masterRecoverySize: "1Gi",
    workerScratchSize: "4Gi",
    webUiLoadBalancer: false,
    webUiLoadBalancerInternal: true,
    eksKubernetesVersion: "1.34",
    eksInstanceType: "m6i.large",
    eksNodeCount: 2,
    eksMinNodes: 1,
    eksMaxNodes: 4,
    eksSubnetIds: [],
    eksEcrKeepImages: 10,
    aksKubernetesVersion: "1.34",
    aksVmSize: "Standard_D4s_v5",
    aksNodeCount: 2,
    aksMinNodes: 1,
    aksMaxNodes: 4,
    aksRegistrySku: "Basic",
} as const;

/** Keys of other namespaces a target reads (set with `pulumi config set aws:region ...`). */
export const AMBIENT_KEYS = ["aws:region", "aws:profile", "azure-native:location"] as const;

/** Name of the cluster built from the flat keys when no `clusters` list is given. */
export const DEFAULT_CLUSTER_NAME = "spark";

/** The top-level keys of each target's variant (other targets' keys are not read). */
export const TARGET_KEYS: Readonly<Record<Target, readonly string[]>> = {
    minikube: Object.keys(kubeconfigFields),
    existing: Object.keys(kubeconfigFields),
    eks: Object.keys(eksFields),
    aks: Object.keys(aksFields),
};

/** The defaults of the cloud targets' own keys (a subset of DEFAULTS). */
export const CLOUD_DEFAULTS = Object.fromEntries(
    Object.entries(DEFAULTS).filter(([k]) => [...TARGET_KEYS.eks, ...TARGET_KEYS.aks].includes(k) && !k.startsWith("kube")),
);

/** Every project key this program reads; anything else under `spark-on-k8s:` is a typo. */
// `clusters`, `autoscaling`, `monitoring`, `connect` and `networkEgress` are objects, which Pulumi.yaml cannot type: they are not declared there.
export const KNOWN_KEYS: readonly string[] = [
    ...new Set(["target", "clusters", ...CLUSTER_KEYS.filter((k) => k !== "name"), ...Object.values(TARGET_KEYS).flat()]),
].filter((k) => !(AMBIENT_KEYS as readonly string[]).includes(k));

const unknownKey = (issue: z.core.$ZodRawIssue) =>
    issue.code === "unrecognized_keys" ? `unknown key; the keys this stack reads are ${KNOWN_KEYS.join(", ")}` : undefined;

/** What the target's facts require of its clusters, and the defaults they give them. */
function applyFacts(target: Target, clusters: ClusterConfig[], ctx: z.RefinementCtx): ClusterConfig[] {
    const facts = TARGET_FACTS[target];
    return clusters.map((c, i) => {
        if (!facts.buildsImages && c.image === undefined) {
            problem(
                ctx,
                ["clusters", i, "image"],
                `target ${target} has no registry to push a build to; set a prebuilt image built from images/spark (cluster "${c.name}")`,
                "",
            );
        }
        if (c.connect?.loadBalancer === true && !facts.cloudLoadBalancer) {
            problem(
                ctx,
                ["clusters", i, "connect", "loadBalancer"],
                `is for eks and aks only (an internal load balancer); on ${target} reach Connect through its port-forward command or a client pod (cluster "${c.name}")`,
                true,
            );
        }
        c = recoveryFacts(target, c, i, ctx);
        // The event-log claim is mounted by the workers (cluster-mode drivers), the History
        // Server and clients on any node: it must be ReadWriteMany.
        if (c.historyServer === undefined || c.historyServer.storageClassName !== undefined) {
            return c;
        }
        const rwx = facts.readWriteMany;
        if ("missing" in rwx) {
            problem(ctx, ["clusters", i, "eventLogStorageClass"], `historyServer on ${target} ${rwx.missing} (cluster "${c.name}")`, "");
            return c;
        }
        return { ...c, historyServer: { ...c.historyServer, storageClassName: rwx.storageClassName } };
    });
}

/** The master's recovery claim where the target can bind one: "auto" is off elsewhere, "on" refused. */
function recoveryFacts(target: Target, c: ClusterConfig, i: number, ctx: z.RefinementCtx): ClusterConfig {
    const r = c.masterRecovery;
    if (r === undefined || r.storageClassName !== undefined) {
        return c;
    }
    const rwo = TARGET_FACTS[target].readWriteOnce;
    if (!("missing" in rwo)) {
        return { ...c, masterRecovery: { ...r, storageClassName: rwo.storageClassName } };
    }
    if (r.required) {
        problem(ctx, ["clusters", i, "masterRecovery"], `on ${target} ${rwo.missing} (cluster "${c.name}")`, "on");
    }
    return { ...c, masterRecovery: undefined };
}

const viaKubeconfig = <T extends "minikube" | "existing">(target: T) =>
    z
        .strictObject({ target: z.literal(target), clusters: clustersSchema, ...kubeconfigFields }, { error: unknownKey })
        .transform((v, ctx) => ({
            target: v.target,
            /** kubeconfig context; undefined = the target's default. */
            kubeContext: v.kubeContext === "" ? undefined : v.kubeContext,
            /** A kubeconfig file; undefined = the ambient kubeconfig. */
            kubeconfigPath: v.kubeconfigPath === "" ? undefined : v.kubeconfigPath,
            clusters: applyFacts(target, v.clusters, ctx),
        }));

export const stackSchema = z.discriminatedUnion(
    "target",
    [
        viaKubeconfig("minikube"),
        viaKubeconfig("existing"),
        z
            .strictObject({ target: z.literal("eks"), clusters: clustersSchema, ...eksFields }, { error: unknownKey })
            .transform((v, ctx) => ({ target: v.target, eks: eksConfig(v, ctx), clusters: applyFacts("eks", v.clusters, ctx) })),
        z
            .strictObject({ target: z.literal("aks"), clusters: clustersSchema, ...aksFields }, { error: unknownKey })
            .transform((v, ctx) => ({ target: v.target, aks: aksConfig(v, ctx), clusters: applyFacts("aks", v.clusters, ctx) })),
    ],
    { error: `must be one of ${TARGETS.join(", ")}` },
);

/** The validated stack config. `clusters` has at least one entry; the first is the primary cluster. */
export type StackConfig = z.output<typeof stackSchema>;
