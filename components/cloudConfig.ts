// Settings of the cloud targets (EKS, AKS), parsed for components/config.ts, the only reader
// of Pulumi config. Pure: takes raw strings, reports problems through `fail`.
import type { Target } from "./config";

/** Cloud keys declared in Pulumi.yaml, with the same defaults. */
export const CLOUD_DEFAULTS = {} as const;

export interface EksConfig {}
export interface AksConfig {}

export interface CloudConfig {
    readonly eks?: EksConfig;
    readonly aks?: AksConfig;
}

export type Fail = (key: string, value: unknown, allowed: string) => void;

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
    void target;
    void raw;
    void ambient;
    void fail;
    return {};
}
