// Settings of the cloud targets (EKS, AKS), parsed for components/config.ts, the only reader
// of Pulumi config. Pure: takes raw strings, reports problems through `fail`.
import type { Target } from "./config";

/** Cloud keys declared in Pulumi.yaml, with the same defaults. */
export const CLOUD_DEFAULTS = {
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

/** How the Spark master web UI leaves the cluster on a cloud. */
export type WebUiLoadBalancer = "none" | "internal" | "public";

/** A node pool's size: `nodeCount` nodes now, never fewer than `minNodes` nor more than `maxNodes`. */
export interface NodePoolSize {
    readonly nodeCount: number;
    readonly minNodes: number;
    readonly maxNodes: number;
}

export interface EksConfig extends NodePoolSize {
    /** `aws:region`. */
    readonly region: string;
    /** `aws:profile`, when the stack sets one; the generated kubeconfig uses it too. */
    readonly awsProfile?: string;
    /** Control plane and node group version, MAJOR.MINOR. */
    readonly kubernetesVersion: string;
    /** EC2 instance type of the managed node group (x86_64: the image is built for linux/amd64). */
    readonly instanceType: string;
    /** Existing private subnets for the cluster and nodes; empty = a new VPC. */
    readonly subnetIds: readonly string[];
    /** The ECR lifecycle policy keeps this many most recent images. */
    readonly ecrKeepImages: number;
    readonly webUiLoadBalancer: WebUiLoadBalancer;
}

export const ACR_SKUS = ["Basic", "Standard", "Premium"] as const;
export type AcrSku = (typeof ACR_SKUS)[number];

export interface AksConfig extends NodePoolSize {
    /** `azure-native:location`. */
    readonly location: string;
    /** Control plane and node pool version, MAJOR.MINOR. */
    readonly kubernetesVersion: string;
    /** VM size of the system node pool (x86_64: the image is built for linux/amd64). */
    readonly vmSize: string;
    readonly registrySku: AcrSku;
    readonly webUiLoadBalancer: WebUiLoadBalancer;
}

export interface CloudConfig {
    readonly eks?: EksConfig;
    readonly aks?: AksConfig;
}

export type Fail = (key: string, value: unknown, allowed: string) => void;

const KUBERNETES_VERSION = /^1\.\d+$/;
const EC2_INSTANCE_TYPE = /^[a-z][a-z0-9-]*\.[a-z0-9]+$/;
// Graviton families (m7g, c6gn, r6gd, t4g, x2gd, a1, ...): arm64 only.
const EC2_ARM_FAMILY = /^([a-z]+\d+g[a-z]*|a1)\./;
const AZURE_VM_SIZE = /^Standard_[A-Za-z0-9_]+$/;
// Ampere sizes carry a lower-case "p" among the feature letters (Standard_D4ps_v5, Standard_E8pds_v6).
const AZURE_ARM_SIZE = /^Standard_[A-Z]+\d+[a-z]*p[a-z]*_v\d+$/;
const AWS_REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;
const AZURE_LOCATION = /^[a-z][a-z0-9]*$/;
const SUBNET_ID = /^subnet-[0-9a-f]{8,17}$/;

/**
 * @param raw project keys (without the `spark-on-k8s:` prefix)
 * @param ambient keys of other namespaces, full names (`aws:region`, `azure-native:location`)
 */
export function parseCloudConfig(
    target: Target,
    raw: Readonly<Record<string, string>>,
    ambient: Readonly<Record<string, string>>,
    fail: Fail,
): CloudConfig {
    const webUiLoadBalancer = parseWebUi(target, raw, fail);
    if (target === "eks") {
        return { eks: parseEks(raw, ambient, webUiLoadBalancer, fail) };
    }
    if (target === "aks") {
        return { aks: parseAks(raw, ambient, webUiLoadBalancer, fail) };
    }
    return {};
}

type CloudKey = keyof typeof CLOUD_DEFAULTS;

/** The raw value of a key, or its Pulumi.yaml default, as the CLI would hand it over. */
function rawValue(raw: Readonly<Record<string, string>>, key: CloudKey): string {
    const fallback = CLOUD_DEFAULTS[key];
    return raw[key] ?? (typeof fallback === "string" ? fallback : JSON.stringify(fallback));
}

function parseWebUi(target: Target, raw: Readonly<Record<string, string>>, fail: Fail): WebUiLoadBalancer {
    const enabled = parseBoolean(raw, "webUiLoadBalancer", fail);
    const internal = parseBoolean(raw, "webUiLoadBalancerInternal", fail);
    if (enabled !== true) {
        return "none";
    }
    if (target !== "eks" && target !== "aks") {
        fail(
            "webUiLoadBalancer",
            true,
            "applies only to the eks and aks targets; on minikube and existing reach the UI with portForwardCommand",
        );
        return "none";
    }
    return internal === false ? "public" : "internal";
}

function parseEks(
    raw: Readonly<Record<string, string>>,
    ambient: Readonly<Record<string, string>>,
    webUiLoadBalancer: WebUiLoadBalancer,
    fail: Fail,
): EksConfig | undefined {
    let ok = true;
    const f: Fail = (k, v, a) => {
        ok = false;
        fail(k, v, a);
    };

    const region = ambient["aws:region"] ?? "";
    if (region === "") {
        f("aws:region", region, "target eks needs the AWS region: pulumi config set aws:region eu-west-1");
    } else if (!AWS_REGION.test(region)) {
        f("aws:region", region, "must be an AWS region code such as eu-west-1 or us-east-2");
    }
    const awsProfile = ambient["aws:profile"] || undefined;

    const kubernetesVersion = parseKubernetesVersion(raw, "eksKubernetesVersion", f);

    const instanceType = rawValue(raw, "eksInstanceType");
    if (!EC2_INSTANCE_TYPE.test(instanceType)) {
        f("eksInstanceType", instanceType, "must be an EC2 instance type such as m6i.xlarge (family.size, lower case)");
    } else if (EC2_ARM_FAMILY.test(instanceType)) {
        f("eksInstanceType", instanceType, "must be an x86_64 instance type (the Spark image is built for linux/amd64), not Graviton");
    }

    const size = parseNodePool(raw, { count: "eksNodeCount", min: "eksMinNodes", max: "eksMaxNodes" }, f);

    let subnetIds: string[] = [];
    const subnetsRaw = rawValue(raw, "eksSubnetIds");
    const subnets = parseStringList(subnetsRaw);
    if (subnets === undefined || subnets.some((s) => !SUBNET_ID.test(s))) {
        f("eksSubnetIds", subnetsRaw, "must be a list of subnet ids such as [subnet-0123456789abcdef0, ...], or empty for a new VPC");
    } else if (subnets.length === 1) {
        f("eksSubnetIds", subnetsRaw, "must name at least two private subnets in different availability zones (EKS requires two), or none");
    } else if (new Set(subnets).size !== subnets.length) {
        f("eksSubnetIds", subnetsRaw, "must not name a subnet twice");
    } else {
        subnetIds = subnets;
    }

    const ecrKeepImages = wholeNumber(rawValue(raw, "eksEcrKeepImages"), 1);
    if (ecrKeepImages === undefined) {
        f("eksEcrKeepImages", rawValue(raw, "eksEcrKeepImages"), "must be a whole number >= 1 (images kept in the ECR repository)");
    }

    if (!ok) {
        return undefined;
    }
    return {
        region,
        awsProfile,
        kubernetesVersion: kubernetesVersion!,
        instanceType,
        ...size!,
        subnetIds,
        ecrKeepImages: ecrKeepImages!,
        webUiLoadBalancer,
    };
}

function parseAks(
    raw: Readonly<Record<string, string>>,
    ambient: Readonly<Record<string, string>>,
    webUiLoadBalancer: WebUiLoadBalancer,
    fail: Fail,
): AksConfig | undefined {
    let ok = true;
    const f: Fail = (k, v, a) => {
        ok = false;
        fail(k, v, a);
    };

    const location = ambient["azure-native:location"] ?? "";
    if (location === "") {
        f("azure-native:location", location, "target aks needs the Azure location: pulumi config set azure-native:location westeurope");
    } else if (!AZURE_LOCATION.test(location)) {
        f("azure-native:location", location, "must be an Azure location name such as westeurope or eastus2 (lower case, no spaces)");
    }

    const kubernetesVersion = parseKubernetesVersion(raw, "aksKubernetesVersion", f);

    const vmSize = rawValue(raw, "aksVmSize");
    if (!AZURE_VM_SIZE.test(vmSize)) {
        f("aksVmSize", vmSize, "must be an Azure VM size such as Standard_D4s_v5 (Standard_ followed by letters, digits and _)");
    } else if (AZURE_ARM_SIZE.test(vmSize)) {
        f("aksVmSize", vmSize, "must be an x86_64 VM size (the Spark image is built for linux/amd64), not an Ampere (p) size");
    }

    const size = parseNodePool(raw, { count: "aksNodeCount", min: "aksMinNodes", max: "aksMaxNodes" }, f);

    const registrySku = rawValue(raw, "aksRegistrySku");
    if (!(ACR_SKUS as readonly string[]).includes(registrySku)) {
        f("aksRegistrySku", registrySku, `must be one of ${ACR_SKUS.join(", ")}`);
    }

    if (!ok) {
        return undefined;
    }
    return {
        location,
        kubernetesVersion: kubernetesVersion!,
        vmSize,
        ...size!,
        registrySku: registrySku as AcrSku,
        webUiLoadBalancer,
    };
}

function parseKubernetesVersion(raw: Readonly<Record<string, string>>, key: CloudKey, fail: Fail): string | undefined {
    const version = rawValue(raw, key);
    if (!KUBERNETES_VERSION.test(version)) {
        fail(key, version, 'must be a Kubernetes minor version MAJOR.MINOR such as "1.34" (pinned: upgrades happen when you change it)');
        return undefined;
    }
    return version;
}

function parseNodePool(
    raw: Readonly<Record<string, string>>,
    keys: { count: CloudKey; min: CloudKey; max: CloudKey },
    fail: Fail,
): NodePoolSize | undefined {
    const nodeCount = wholeNumber(rawValue(raw, keys.count), 1);
    const minNodes = wholeNumber(rawValue(raw, keys.min), 1);
    const maxNodes = wholeNumber(rawValue(raw, keys.max), 1);
    if (nodeCount === undefined) {
        fail(keys.count, rawValue(raw, keys.count), "must be a whole number of nodes >= 1");
    }
    if (minNodes === undefined) {
        fail(keys.min, rawValue(raw, keys.min), "must be a whole number of nodes >= 1");
    }
    if (maxNodes === undefined) {
        fail(keys.max, rawValue(raw, keys.max), "must be a whole number of nodes >= 1");
    }
    if (nodeCount === undefined || minNodes === undefined || maxNodes === undefined) {
        return undefined;
    }
    if (minNodes > maxNodes) {
        fail(keys.min, minNodes, `must not exceed ${keys.max} (${maxNodes})`);
        return undefined;
    }
    if (nodeCount < minNodes || nodeCount > maxNodes) {
        fail(keys.count, nodeCount, `must lie within ${keys.min}..${keys.max} (${minNodes}..${maxNodes})`);
        return undefined;
    }
    return { nodeCount, minNodes, maxNodes };
}

function parseBoolean(raw: Readonly<Record<string, string>>, key: CloudKey, fail: Fail): boolean | undefined {
    const value = rawValue(raw, key).trim();
    if (value === "true" || value === "false") {
        return value === "true";
    }
    fail(key, raw[key], "must be true or false");
    return undefined;
}

/** A list as the CLI hands over an array value (JSON), or comma-separated text. */
function parseStringList(value: string): string[] | undefined {
    const text = value.trim();
    if (text === "") {
        return [];
    }
    if (text.startsWith("[")) {
        try {
            const list: unknown = JSON.parse(text);
            return Array.isArray(list) && list.every((s) => typeof s === "string") ? list.map((s: string) => s.trim()) : undefined;
        } catch {
            return undefined;
        }
    }
    return text.split(",").map((s) => s.trim());
}

/** A whole number >= min from its decimal string form; undefined otherwise. */
function wholeNumber(value: string, min: number): number | undefined {
    const text = value.trim();
    if (!/^-?\d+$/.test(text)) {
        return undefined;
    }
    const n = Number(text);
    return Number.isSafeInteger(n) && n >= min ? n : undefined;
}
