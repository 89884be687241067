// The only reader of Pulumi config. It validates every key up front against one schema
// (./schema.ts) and returns plain typed values, so a bad value stops the program before any
// resource is registered, with every problem at once: key, bad value, what is allowed.
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { TARGET_FACTS, TARGETS } from "../platforms/targets";
import { CLUSTER_KEYS, clustersSchema } from "./cluster";
import { jsonText } from "./fields";
import { checkKubeconfig } from "./kubeconfig";
import { AMBIENT_KEYS, DEFAULT_CLUSTER_NAME, DEFAULTS, stackSchema, StackConfig, TARGET_KEYS } from "./schema";

export {
    AUTOSCALING_MODES,
    AutoscalingConfig,
    AutoscalingMode,
    ClusterConfig,
    ConnectConfig,
    HistoryServerConfig,
    MonitoringConfig,
} from "./cluster";
export { ACR_SKUS, AcrSku, AksConfig, EksConfig, NodePoolSize, WebUiLoadBalancer } from "./targets";
export { CLOUD_DEFAULTS, DEFAULT_CLUSTER_NAME, DEFAULTS, KNOWN_KEYS, StackConfig } from "./schema";
export { Target, TARGETS } from "../platforms/targets";

export const PROJECT = "spark-on-k8s";

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

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Validates raw config values (project keys without the prefix, values as strings; other
 * namespaces' keys such as `aws:region` in `ambient`, full names).
 */
export function parseConfig(raw: Readonly<Record<string, string>>, ambient: Readonly<Record<string, string>> = {}): StackConfig {
    const input = schemaInput(raw, ambient);
    const problems: string[] = [];
    const report = (path: PropertyKey[], value: unknown, allowed: string) => {
        const key = configKey(path, raw.clusters !== undefined);
        problems.push(`${key.includes(":") ? key : `${PROJECT}:${key}`} = ${JSON.stringify(value ?? "")}: ${allowed}`);
    };
    const collect = (issues: z.core.$ZodIssue[], under: PropertyKey[] = []) => {
        for (const issue of issues) {
            const path = [...under, ...issue.path];
            if (issue.code === "unrecognized_keys") {
                issue.keys.forEach((k) => report([...path, k], valueAt(input, [...path, k]), issue.message));
            } else {
                const params = (issue as { params?: { value?: unknown } }).params;
                report(path, params?.value ?? valueAt(input, path), issue.message);
            }
        }
    };

    const result = stackSchema.safeParse(input);
    if (!result.success) {
        collect(result.error.issues);
        // An unknown target matches no variant, so nothing else was checked: check the clusters anyway.
        if (!(TARGETS as readonly string[]).includes(input.target as string)) {
            const clusters = clustersSchema.safeParse(input.clusters);
            collect(clusters.error?.issues ?? [], ["clusters"]);
        }
        throw new ConfigError(problems);
    }
    const config = result.data;
    if ("kubeconfigPath" in config) {
        const facts = TARGET_FACTS[config.target];
        for (const p of checkKubeconfig(config.kubeconfigPath, config.kubeContext, facts.defaultContext)) {
            report([p.key], p.value, p.allowed);
        }
        if (problems.length > 0) {
            throw new ConfigError(problems);
        }
    }
    return config;
}

/**
 * The object the schema checks: Pulumi.yaml's defaults under the raw values, the flat cluster
 * keys merged into each `clusters` entry (an entry's namespace defaults to its name), the keys of
 * the target's variant at the top (other targets' keys are not read), ambient keys by full name.
 */
function schemaInput(raw: Readonly<Record<string, string>>, ambient: Readonly<Record<string, string>>): Record<string, unknown> {
    const values: Record<string, unknown> = { ...DEFAULTS, ...raw };
    const target = values.target as string;
    const clusterKeys: readonly string[] = CLUSTER_KEYS;
    const otherTargets = Object.entries(TARGET_KEYS)
        .filter(([t]) => t !== target)
        .flatMap(([, keys]) => keys);
    const ownKeys = TARGET_KEYS[target as keyof typeof TARGET_KEYS] ?? [];

    const flat: Record<string, unknown> = {};
    const top: Record<string, unknown> = { target };
    for (const [key, value] of Object.entries(values)) {
        if (clusterKeys.includes(key)) {
            flat[key] = value;
        } else if (key !== "target" && key !== "clusters" && (ownKeys.includes(key) || !otherTargets.includes(key))) {
            top[key] = value;
        }
    }
    for (const key of AMBIENT_KEYS) {
        if (ownKeys.includes(key)) {
            top[key] = ambient[key] ?? "";
        }
    }
    if (raw.clusters === undefined) {
        top.clusters = [{ ...flat, name: DEFAULT_CLUSTER_NAME }];
    } else {
        const list = jsonText(raw.clusters);
        top.clusters = Array.isArray(list) ? list.map((e) => (isObject(e) ? { ...flat, namespace: e.name, ...e } : e)) : raw.clusters;
    }
    return top;
}

/** The config key a schema path stands for: `workerReplicas`, `clusters[1].autoscaling.maxReplicas`, `aws:region`, `eksSubnetIds[2]`. */
function configKey(path: PropertyKey[], withClusters: boolean): string {
    // List indices as [i]; a flat config's clusters[0] is the flat keys themselves.
    const join = (keys: PropertyKey[]) =>
        keys.map((k, i) => (typeof k === "number" ? `[${k}]` : `${i > 0 ? "." : ""}${String(k)}`)).join("");
    if (path[0] !== "clusters" || path.length === 1) {
        return join(path) || "target";
    }
    const [, index, ...rest] = path;
    if (!withClusters) {
        return join(rest) || "clusters";
    }
    return `clusters[${String(index)}]${rest.length > 0 ? "." : ""}${join(rest)}`;
}

function valueAt(input: unknown, path: PropertyKey[]): unknown {
    let v = input;
    for (const k of path) {
        // Object keys such as `autoscaling` arrive as JSON text when flat: look inside it.
        v = jsonText(v);
        v = isObject(v) || Array.isArray(v) ? (v as Record<PropertyKey, unknown>)[k] : undefined;
    }
    return v;
}
