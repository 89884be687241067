// The settings each target reads, one schema per target; the stack schema (./schema.ts) is their
// union on `target`, so each target's settings exist exactly where they apply. Keys keep their
// flat config names here (eksNodeCount, aws:region); the transforms give them their shape.
import { z } from "zod";
import { targetsWhere } from "../platforms/targets";
import { boolean, oneOf, problem, stringList, text, wholeNumber } from "./fields";

const KUBERNETES_VERSION = text(
    /^1\.\d+$/,
    'must be a Kubernetes minor version MAJOR.MINOR such as "1.34" (pinned: upgrades happen when you change it)',
);
const nodes = () => wholeNumber(1, 10_000, "must be a whole number of nodes >= 1");

/** How the Spark master web UI leaves the cluster on a cloud. */
export type WebUiLoadBalancer = "none" | "internal" | "public";

const webUiLoadBalancer = (enabled: boolean, internal: boolean): WebUiLoadBalancer =>
    !enabled ? "none" : internal ? "internal" : "public";

/** A node pool's size: `nodeCount` nodes now, never fewer than `minNodes` nor more than `maxNodes`. */
export interface NodePoolSize {
    readonly nodeCount: number;
    readonly minNodes: number;
    readonly maxNodes: number;
}

/** Checks count within min..max, naming the target's keys. */
function nodePool(ctx: z.RefinementCtx, prefix: "eks" | "aks", size: NodePoolSize): void {
    const [count, min, max] = [`${prefix}NodeCount`, `${prefix}MinNodes`, `${prefix}MaxNodes`];
    if (size.minNodes > size.maxNodes) {
        problem(ctx, [min], `must not exceed ${max} (${size.maxNodes})`, size.minNodes);
    } else if (size.nodeCount < size.minNodes || size.nodeCount > size.maxNodes) {
        problem(ctx, [count], `must lie within ${min}..${max} (${size.minNodes}..${size.maxNodes})`, size.nodeCount);
    }
}

const viaKubeconfig = targetsWhere((f) => f.viaKubeconfig).join(" and ");
const withLoadBalancer = targetsWhere((f) => f.cloudLoadBalancer).join(" and ");

/** Keys of the targets reached through a kubeconfig (minikube, existing). */
export const kubeconfigFields = {
    /** kubeconfig context; "" = the target's default. */
    kubeContext: z.string(),
    /** A kubeconfig file; "" = the ambient kubeconfig (KUBECONFIG or ~/.kube/config). */
    kubeconfigPath: z.string(),
    webUiLoadBalancer: boolean().refine((on) => !on, {
        error: `applies only to the ${withLoadBalancer} targets; on ${viaKubeconfig} reach the UI with portForwardCommand`,
    }),
    webUiLoadBalancerInternal: boolean(),
};

/** kubeContext and kubeconfigPath on a target that creates its own cluster. */
const notHere = z.literal("", { error: `applies only to the ${viaKubeconfig} targets; remove it` });

export const EC2_INSTANCE_TYPE = /^[a-z][a-z0-9-]*\.[a-z0-9]+$/;
// Graviton families (m7g, c6gn, r6gd, t4g, x2gd, a1, ...): arm64 only.
const EC2_ARM_FAMILY = /^([a-z]+\d+g[a-z]*|a1)\./;
const SUBNET_ID = /^subnet-[0-9a-f]{8,17}$/;
const SUBNETS = "must be a list of subnet ids such as [subnet-0123456789abcdef0, ...], or empty for a new VPC";

export const eksFields = {
    kubeContext: notHere,
    kubeconfigPath: notHere,
    webUiLoadBalancer: boolean(),
    webUiLoadBalancerInternal: boolean(),
    "aws:region": z
        .string()
        .min(1, { error: "target eks needs the AWS region: pulumi config set aws:region eu-west-1" })
        .regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, { error: "must be an AWS region code such as eu-west-1 or us-east-2" }),
    /** The generated kubeconfig uses it too; "" = none. */
    "aws:profile": z.string(),
    eksKubernetesVersion: KUBERNETES_VERSION,
    /** x86_64 only: the image is built for linux/amd64. */
    eksInstanceType: text(EC2_INSTANCE_TYPE, "must be an EC2 instance type such as m6i.xlarge (family.size, lower case)").refine(
        (t) => !EC2_ARM_FAMILY.test(t),
        { error: "must be an x86_64 instance type (the Spark image is built for linux/amd64), not Graviton" },
    ),
    eksNodeCount: nodes(),
    eksMinNodes: nodes(),
    eksMaxNodes: nodes(),
    /** Existing private subnets for the cluster and nodes; empty = a new VPC. */
    eksSubnetIds: stringList(SUBNETS)
        .refine((ids) => ids.every((s) => SUBNET_ID.test(s)), { error: SUBNETS, abort: true })
        .refine((ids) => ids.length !== 1, {
            error: "must name at least two private subnets in different availability zones (EKS requires two), or none",
            abort: true,
        })
        .refine((ids) => new Set(ids).size === ids.length, { error: "must not name a subnet twice" }),
    /** The ECR lifecycle policy keeps this many most recent images. */
    eksEcrKeepImages: wholeNumber(1, 10_000, "must be a whole number >= 1 (images kept in the ECR repository)"),
};

/** The settings of the eks target, shaped for the platform. */
export function eksConfig(v: z.output<z.ZodObject<typeof eksFields>>, ctx: z.RefinementCtx) {
    const size = { nodeCount: v.eksNodeCount, minNodes: v.eksMinNodes, maxNodes: v.eksMaxNodes };
    nodePool(ctx, "eks", size);
    return {
        region: v["aws:region"],
        awsProfile: v["aws:profile"] === "" ? undefined : v["aws:profile"],
        kubernetesVersion: v.eksKubernetesVersion,
        instanceType: v.eksInstanceType,
        ...size,
        subnetIds: v.eksSubnetIds,
        ecrKeepImages: v.eksEcrKeepImages,
        webUiLoadBalancer: webUiLoadBalancer(v.webUiLoadBalancer, v.webUiLoadBalancerInternal),
    };
}
export type EksConfig = ReturnType<typeof eksConfig>;

export const ACR_SKUS = ["Basic", "Standard", "Premium"] as const;
// Ampere sizes carry a lower-case "p" among the feature letters (Standard_D4ps_v5, Standard_E8pds_v6).
const AZURE_ARM_SIZE = /^Standard_[A-Z]+\d+[a-z]*p[a-z]*_v\d+$/;

export const aksFields = {
    kubeContext: notHere,
    kubeconfigPath: notHere,
    webUiLoadBalancer: boolean(),
    webUiLoadBalancerInternal: boolean(),
    "azure-native:location": z
        .string()
        .min(1, { error: "target aks needs the Azure location: pulumi config set azure-native:location westeurope" })
        .regex(/^[a-z][a-z0-9]*$/, { error: "must be an Azure location name such as westeurope or eastus2 (lower case, no spaces)" }),
    aksKubernetesVersion: KUBERNETES_VERSION,
    /** x86_64 only: the image is built for linux/amd64. */
    aksVmSize: text(
        /^Standard_[A-Za-z0-9_]+$/,
        "must be an Azure VM size such as Standard_D4s_v5 (Standard_ followed by letters, digits and _)",
    ).refine((s) => !AZURE_ARM_SIZE.test(s), {
        error: "must be an x86_64 VM size (the Spark image is built for linux/amd64), not an Ampere (p) size",
    }),
    aksNodeCount: nodes(),
    aksMinNodes: nodes(),
    aksMaxNodes: nodes(),
    aksRegistrySku: oneOf(ACR_SKUS),
};

/** The settings of the aks target, shaped for the platform. */
export function aksConfig(v: z.output<z.ZodObject<typeof aksFields>>, ctx: z.RefinementCtx) {
    const size = { nodeCount: v.aksNodeCount, minNodes: v.aksMinNodes, maxNodes: v.aksMaxNodes };
    nodePool(ctx, "aks", size);
    return {
        location: v["azure-native:location"],
        kubernetesVersion: v.aksKubernetesVersion,
        vmSize: v.aksVmSize,
        ...size,
        registrySku: v.aksRegistrySku,
        webUiLoadBalancer: webUiLoadBalancer(v.webUiLoadBalancer, v.webUiLoadBalancerInternal),
    };
}
export type AksConfig = ReturnType<typeof aksConfig>;
export type AcrSku = AksConfig["registrySku"];
