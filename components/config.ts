// The only reader of Pulumi config. It validates every key up front and returns plain typed
// values, so a bad value stops the program before any resource is registered.
import * as fs from "fs";
import * as pulumi from "@pulumi/pulumi";
import { AutoscalingConfig, parseAutoscaling } from "./autoscaling";
import { CLOUD_DEFAULTS, CloudConfig, Fail, parseCloudConfig } from "./cloudConfig";
import { MEMORY_FORMAT, MIN_MASTER_MEMORY_MIB, MIN_WORKER_MEMORY_MIB, parseMemoryMiB } from "./quantity";

export const PROJECT = "spark-on-k8s";

export const TARGETS = ["minikube", "eks", "aks", "existing"] as const;
export type Target = (typeof TARGETS)[number];

/** One Spark standalone cluster (master + workers) in its own namespace. */
export interface ClusterConfig {
    /** DNS label used as the prefix of every object name (`<name>-master`, `<name>-worker`). */
    readonly name: string;
    readonly namespace: string;
    readonly workerReplicas: number;
    /** Upper bound the namespace's ResourceQuota is sized for. */
    readonly maxWorkerReplicas: number;
    readonly sparkVersion: string;
    /** A prebuilt image deployed as is; undefined means SparkImage builds one. */
    readonly image?: string;
    readonly workerCores: number;
    readonly workerMemory: string;
    readonly workerMemoryMiB: number;
    readonly masterCores: number;
    readonly masterMemory: string;
    readonly masterMemoryMiB: number;
    /** Workers that may be down at once during a rolling update. */
    readonly workerMaxUnavailable: number;
    /** Spark RPC authentication with a generated secret kept in a Kubernetes Secret. */
    readonly rpcAuth: boolean;
    /** Seconds a removed worker spends decommissioning (moving blocks, finishing tasks); 0 = stop at once. */
    readonly workerDecommissionSeconds: number;
    /** Worker autoscaling; undefined = off (workerReplicas is the size). */
    readonly autoscaling?: AutoscalingConfig;
    /** Spark History Server over an event-log volume; undefined = off. */
    readonly historyServer?: HistoryServerConfig;
}

/** The History Server and the ReadWriteMany claim that drivers write event logs to. */
export interface HistoryServerConfig {
    /** StorageClass of the event-log claim; undefined = the cluster's default class. */
    readonly storageClassName?: string;
    /** Size of the event-log claim (Kubernetes quantity). */
    readonly size: string;
}

export interface StackConfig extends CloudConfig {
    readonly target: Target;
    /** kubeconfig context (minikube and existing targets); undefined = the target's default. */
    readonly kubeContext?: string;
    /** A kubeconfig file (minikube and existing targets); undefined = the ambient kubeconfig. */
    readonly kubeconfigPath?: string;
    /** At least one; the first is the primary cluster whose values are the flat stack outputs. */
    readonly clusters: readonly ClusterConfig[];
}

/**
 * Defaults of the keys declared in Pulumi.yaml. The CLI applies Pulumi.yaml's defaults, mocks do
 * not; a unit test keeps the two lists equal.
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
    workerDecommissionSeconds: 60,
    historyServer: false,
    eventLogStorageClass: "",
    eventLogSize: "10Gi",
} as const;

/** Name of the cluster built from the flat keys when no `clusters` list is given. */
export const DEFAULT_CLUSTER_NAME = "spark";

/** Keys a `clusters` entry may set; the rest of its values come from the flat keys. */
const CLUSTER_KEYS = [
    "name",
    "namespace",
    "workerReplicas",
    "maxWorkerReplicas",
    "sparkVersion",
    "image",
    "workerCores",
    "workerMemory",
    "masterCores",
    "masterMemory",
    "workerMaxUnavailable",
    "rpcAuth",
    "workerDecommissionSeconds",
    "autoscaling",
    "historyServer",
    "eventLogStorageClass",
    "eventLogSize",
] as const;

/** Every project key this program reads; anything else under `spark-on-k8s:` is a typo. */
// `clusters` and `autoscaling` are objects, which Pulumi.yaml cannot type: they are not declared there.
export const KNOWN_KEYS: readonly string[] = [...Object.keys(DEFAULTS), ...Object.keys(CLOUD_DEFAULTS), "clusters", "autoscaling"];

/** Namespaces that always exist: creating them as a Namespace object fails at `pulumi up`. */
const RESERVED_NAMESPACES = ["default", "kube-system", "kube-public", "kube-node-lease"];

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
// Service names must also start with a letter (DNS-1035), and `<name>-worker` plus the
// ReplicaSet and pod hashes must stay within 63 characters.
const CLUSTER_NAME = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const MAX_CLUSTER_NAME = 40;
const SPARK_VERSION = /^(\d+)\.(\d+)\.(\d+)$/;
// DNS-1123 subdomain: what a StorageClass name must be.
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const STORAGE_SIZE = /^([1-9]\d*)(Mi|Gi|Ti)$/;
/** Where a target's clusters get ReadWriteMany volumes when eventLogStorageClass is empty. */
const DEFAULT_RWX_CLASS: Partial<Record<Target, string>> = {
    // AKS's default class is Azure Disk (ReadWriteOnce); Azure Files is built in and shared.
    aks: "azurefile-csi",
};
const IMAGE_REF = /^[a-z0-9]+([._/:-][a-zA-Z0-9]+)*(:[\w][\w.-]{0,127})?(@sha256:[a-f0-9]{64})?$/;

/** Raised for bad stack configuration; RunError makes Pulumi print the message without a stack trace. */
export class ConfigError extends pulumi.RunError {
    constructor(readonly problems: readonly string[]) {
        super(
            `Invalid configuration for stack "${pulumi.getStack()}" (nothing was changed):\n` + problems.map((p) => `  - ${p}`).join("\n"),
        );
        this.name = "ConfigError";
    }
}

/** Reads the stack's config (as the CLI hands it over: strings) and validates it. */
export function loadConfig(): StackConfig {
    const prefix = `${PROJECT}:`;
    const raw: Record<string, string> = {};
    const ambient: Record<string, string> = {};
    for (const [key, value] of Object.entries(pulumi.runtime.allConfig())) {
        if (key.startsWith(prefix)) {
            raw[key.slice(prefix.length)] = value;
        } else {
            ambient[key] = value;
        }
    }
    return parseConfig(raw, ambient);
}

/**
 * Validates raw config values (project keys without the prefix, values as strings; other
 * namespaces' keys such as `aws:region` in `ambient`, full names).
 */
export function parseConfig(raw: Readonly<Record<string, string>>, ambient: Readonly<Record<string, string>> = {}): StackConfig {
    const problems: string[] = [];
    const show = (v: unknown) => JSON.stringify(v);
    const fail: Fail = (key, value, allowed) =>
        problems.push(`${key.includes(":") ? key : `${PROJECT}:${key}`} = ${show(value)}: ${allowed}`);

    for (const key of Object.keys(raw)) {
        if (!KNOWN_KEYS.includes(key)) {
            fail(key, raw[key], `unknown key; the keys this stack reads are ${KNOWN_KEYS.join(", ")}`);
        }
    }

    const str = (key: keyof typeof DEFAULTS): string => raw[key] ?? String(DEFAULTS[key]);

    const target = str("target");
    if (!(TARGETS as readonly string[]).includes(target)) {
        fail("target", target, `must be one of ${TARGETS.join(", ")}`);
    }
    const kubeContext = str("kubeContext") || undefined;
    const kubeconfigPath = str("kubeconfigPath") || undefined;
    const localTarget = target === "minikube" || target === "existing";
    if (!localTarget && kubeContext !== undefined) {
        fail("kubeContext", kubeContext, "applies only to the minikube and existing targets; remove it");
    }
    if (!localTarget && kubeconfigPath !== undefined) {
        fail("kubeconfigPath", kubeconfigPath, "applies only to the minikube and existing targets; remove it");
    } else if (kubeconfigPath !== undefined && !fs.existsSync(kubeconfigPath)) {
        fail("kubeconfigPath", kubeconfigPath, "must name an existing kubeconfig file (relative to the project folder)");
    }

    const flat: Record<string, unknown> = {};
    for (const key of CLUSTER_KEYS) {
        if (key === "autoscaling") {
            flat[key] = raw.autoscaling;
        } else if (key !== "name") {
            flat[key] = raw[key] ?? DEFAULTS[key];
        }
    }

    let entries: Record<string, unknown>[] = [{ ...flat, name: DEFAULT_CLUSTER_NAME }];
    if (raw.clusters !== undefined) {
        entries = [];
        let list: unknown;
        try {
            list = JSON.parse(raw.clusters);
        } catch {
            list = undefined;
        }
        if (!Array.isArray(list) || list.length === 0) {
            fail("clusters", raw.clusters, "must be a non-empty list of objects, each with at least a name");
        } else {
            list.forEach((entry, i) => {
                if (typeof entry !== "object" || entry === null || Array.isArray(entry)) {
                    fail(`clusters[${i}]`, entry, "must be an object with at least a name");
                    return;
                }
                for (const key of Object.keys(entry)) {
                    if (!(CLUSTER_KEYS as readonly string[]).includes(key)) {
                        fail(`clusters[${i}].${key}`, entry[key], `unknown key; allowed: ${CLUSTER_KEYS.join(", ")}`);
                    }
                }
                // An entry's namespace defaults to its name; other values to the flat keys.
                entries.push({ ...flat, namespace: entry.name, ...entry });
            });
        }
    }

    const clusters: ClusterConfig[] = [];
    entries.forEach((entry, i) => {
        const key = (k: string) => (raw.clusters === undefined ? k : `clusters[${i}].${k}`);
        const cluster = parseCluster(entry, key, fail);
        if (cluster) {
            clusters.push(cluster);
        }
    });

    for (const field of ["name", "namespace"] as const) {
        const seen = new Set<string>();
        for (const c of clusters) {
            if (seen.has(c[field])) {
                fail(`clusters`, c[field], `each cluster needs its own ${field}; "${c[field]}" is used twice`);
            }
            seen.add(c[field]);
        }
    }

    if (target === "existing") {
        for (const c of clusters.filter((c) => c.image === undefined)) {
            fail(
                raw.clusters === undefined ? "image" : `clusters[${clusters.indexOf(c)}].image`,
                "",
                `target existing has no registry to push a build to; set a prebuilt image built from images/spark (cluster "${c.name}")`,
            );
        }
    }

    // The event-log claim is mounted by the workers (cluster-mode drivers), the History Server
    // and clients on any node: it must be ReadWriteMany, which no EKS class offers built in.
    const withHistory = clusters.map((c, i): ClusterConfig => {
        if (c.historyServer === undefined || c.historyServer.storageClassName !== undefined) {
            return c;
        }
        const storageClassName = DEFAULT_RWX_CLASS[target as Target];
        if (target === "eks") {
            fail(
                raw.clusters === undefined ? "eventLogStorageClass" : `clusters[${i}].eventLogStorageClass`,
                "",
                `historyServer on eks needs a ReadWriteMany StorageClass (EBS classes such as gp2/gp3 are ReadWriteOnce); install the EFS CSI driver and name its class (cluster "${c.name}")`,
            );
        }
        return storageClassName === undefined ? c : { ...c, historyServer: { ...c.historyServer, storageClassName } };
    });

    const cloud = parseCloudConfig(target as Target, raw, ambient, fail);

    if (problems.length > 0) {
        throw new ConfigError(problems);
    }
    return { target: target as Target, kubeContext, kubeconfigPath, clusters: withHistory, ...cloud };
}

function parseCluster(entry: Record<string, unknown>, key: (k: string) => string, fail: Fail): ClusterConfig | undefined {
    const before = { failed: false };
    const f: Fail = (k, v, a) => {
        before.failed = true;
        fail(k, v, a);
    };

    const name = String(entry.name ?? "");
    if (!CLUSTER_NAME.test(name) || name.length > MAX_CLUSTER_NAME) {
        f(
            key("name"),
            entry.name,
            `must be a lowercase DNS label of at most ${MAX_CLUSTER_NAME} characters starting with a letter (a-z, 0-9, -)`,
        );
    }
    const namespace = String(entry.namespace ?? "");
    if (!DNS_LABEL.test(namespace) || namespace.length > 63) {
        f(
            key("namespace"),
            entry.namespace,
            "must be a DNS-1123 label: at most 63 characters of a-z, 0-9 and -, starting and ending with a letter or digit",
        );
    } else if (RESERVED_NAMESPACES.includes(namespace)) {
        f(
            key("namespace"),
            namespace,
            `must be a namespace of its own; ${RESERVED_NAMESPACES.join(", ")} always exist and cannot be created`,
        );
    }

    const workerReplicas = wholeNumber(entry.workerReplicas, 0);
    if (workerReplicas === undefined) {
        f(key("workerReplicas"), entry.workerReplicas, "must be a whole number >= 0");
    }
    const maxWorkerReplicas = wholeNumber(entry.maxWorkerReplicas, 1);
    if (maxWorkerReplicas === undefined) {
        f(key("maxWorkerReplicas"), entry.maxWorkerReplicas, "must be a whole number >= 1");
    } else if (workerReplicas !== undefined && workerReplicas > maxWorkerReplicas) {
        f(
            key("workerReplicas"),
            workerReplicas,
            `must not exceed maxWorkerReplicas (${maxWorkerReplicas}): the namespace quota is sized for that many workers; raise maxWorkerReplicas too`,
        );
    }
    const workerMaxUnavailable = wholeNumber(entry.workerMaxUnavailable, 1);
    if (workerMaxUnavailable === undefined) {
        f(key("workerMaxUnavailable"), entry.workerMaxUnavailable, "must be a whole number >= 1");
    }

    const rpcAuth = boolean(entry.rpcAuth);
    if (rpcAuth === undefined) {
        f(key("rpcAuth"), entry.rpcAuth, "must be true or false");
    }
    const workerDecommissionSeconds = wholeNumber(entry.workerDecommissionSeconds, 0);
    if (workerDecommissionSeconds === undefined || workerDecommissionSeconds > 3600) {
        f(key("workerDecommissionSeconds"), entry.workerDecommissionSeconds, "must be a whole number of seconds from 0 (off) to 3600");
    }

    const autoscaling = parseAutoscaling(entry.autoscaling, key("autoscaling"), { maxWorkerReplicas, workerReplicas }, f);

    const historyServer = boolean(entry.historyServer);
    if (historyServer === undefined) {
        f(key("historyServer"), entry.historyServer, "must be true or false");
    }
    const storageClassRaw = String(entry.eventLogStorageClass ?? "");
    if (storageClassRaw !== "" && (!DNS_SUBDOMAIN.test(storageClassRaw) || storageClassRaw.length > 253)) {
        f(
            key("eventLogStorageClass"),
            entry.eventLogStorageClass,
            "must be a StorageClass name (DNS-1123 subdomain), or empty for the target's default",
        );
    }
    const eventLogSize = String(entry.eventLogSize ?? "");
    if (!STORAGE_SIZE.test(eventLogSize) || (eventLogSize.endsWith("Mi") && parseInt(eventLogSize, 10) < 1024)) {
        f(key("eventLogSize"), entry.eventLogSize, "must be a size of at least 1Gi in Mi, Gi or Ti, such as 10Gi");
    }

    const sparkVersion = String(entry.sparkVersion ?? "");
    const v = SPARK_VERSION.exec(sparkVersion);
    if (!v || !((v[1] === "3" && v[2] === "5") || v[1] === "4")) {
        f(
            key("sparkVersion"),
            entry.sparkVersion,
            "must be a Spark release MAJOR.MINOR.PATCH, 3.5.x or 4.x.y (the versions the image supports)",
        );
    }

    const imageRaw = String(entry.image ?? "");
    const image = imageRaw === "" ? undefined : imageRaw;
    if (image !== undefined) {
        const lastSegment = image.split("/").pop() ?? "";
        if (!IMAGE_REF.test(image) || !(lastSegment.includes(":") || image.includes("@"))) {
            f(
                key("image"),
                image,
                "must be an image reference with a tag or digest, such as apache/spark:4.0.1 or registry/spark@sha256:<64 hex>",
            );
        } else if (/:latest(@|$)/.test(image)) {
            f(key("image"), image, "must pin a version; :latest changes under a running cluster and defeats rollouts");
        }
    }

    const workerCores = wholeNumber(entry.workerCores, 1);
    if (workerCores === undefined) {
        f(key("workerCores"), entry.workerCores, "must be a whole number of cores >= 1 (Spark offers whole cores)");
    }
    const masterCores = wholeNumber(entry.masterCores, 1);
    if (masterCores === undefined) {
        f(key("masterCores"), entry.masterCores, "must be a whole number of cores >= 1");
    }

    const workerMemory = String(entry.workerMemory ?? "");
    const workerMemoryMiB = parseMemoryMiB(workerMemory);
    if (workerMemoryMiB === undefined) {
        f(key("workerMemory"), entry.workerMemory, `must be ${MEMORY_FORMAT}`);
    } else if (workerMemoryMiB < MIN_WORKER_MEMORY_MIB) {
        f(
            key("workerMemory"),
            workerMemory,
            `must be at least ${MIN_WORKER_MEMORY_MIB}Mi: below that the worker cannot start an executor of Spark's minimum size`,
        );
    }
    const masterMemory = String(entry.masterMemory ?? "");
    const masterMemoryMiB = parseMemoryMiB(masterMemory);
    if (masterMemoryMiB === undefined) {
        f(key("masterMemory"), entry.masterMemory, `must be ${MEMORY_FORMAT}`);
    } else if (masterMemoryMiB < MIN_MASTER_MEMORY_MIB) {
        f(key("masterMemory"), masterMemory, `must be at least ${MIN_MASTER_MEMORY_MIB}Mi for the master JVM`);
    }

    if (before.failed) {
        return undefined;
    }
    return {
        name,
        namespace,
        workerReplicas: workerReplicas!,
        maxWorkerReplicas: maxWorkerReplicas!,
        sparkVersion,
        image,
        workerCores: workerCores!,
        workerMemory,
        workerMemoryMiB: workerMemoryMiB!,
        masterCores: masterCores!,
        masterMemory,
        masterMemoryMiB: masterMemoryMiB!,
        workerMaxUnavailable: workerMaxUnavailable!,
        rpcAuth: rpcAuth!,
        workerDecommissionSeconds: workerDecommissionSeconds!,
        autoscaling,
        historyServer: historyServer
            ? { storageClassName: storageClassRaw === "" ? undefined : storageClassRaw, size: eventLogSize }
            : undefined,
    };
}

/** A boolean from true/false or its string form (as config hands it over); undefined otherwise. */
function boolean(value: unknown): boolean | undefined {
    if (value === true || value === "true") {
        return true;
    }
    return value === false || value === "false" ? false : undefined;
}

/** A whole number >= min, from a number or its decimal string form; undefined otherwise. */
function wholeNumber(value: unknown, min: number): number | undefined {
    const text = typeof value === "number" ? String(value) : typeof value === "string" ? value.trim() : "";
    if (!/^-?\d+$/.test(text)) {
        return undefined;
    }
    const n = Number(text);
    return Number.isSafeInteger(n) && n >= min ? n : undefined;
}
