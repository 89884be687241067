// Optional egress control for one Spark cluster (issue #15): a pure builder, not wired into
// SparkCluster yet (its config key waits for the config schema). When on, the cluster's Spark pods
// may open connections only to DNS, to the cluster's own pods, to its client pods (a client-mode
// driver runs there and the executors connect back to it) and to a list of CIDRs (an object store,
// a metastore). Everything else they try is dropped by an enforcing network plugin.
import * as k8s from "@pulumi/kubernetes";
import { isIP } from "node:net";

type NetworkPolicySpec = k8s.types.input.networking.v1.NetworkPolicySpec;

/** Same value as CLIENT_LABEL in clusterSpec.ts (kept literal so this builder stays import-free). */
export const EGRESS_CLIENT_LABEL = "spark-on-k8s/client";
/** Egress control is off unless a cluster turns it on. */
export const EGRESS_DEFAULT_ENABLED = false;
/** No CIDR outside the cluster is allowed unless listed. */
export const EGRESS_DEFAULT_ALLOW_CIDRS: readonly string[] = [];

/**
 * Checks one CIDR ("10.0.0.0/8", "2001:db8::/32") and returns it unchanged; throws naming `key`,
 * the bad value and what is allowed.
 */
export function checkCidr(key: string, value: unknown): string {
    const allowed = "an IPv4 or IPv6 CIDR such as 10.20.0.0/16 or 2001:db8::/32";
    if (typeof value !== "string") {
        throw new Error(`${key}: ${JSON.stringify(value)} is not a string; expected ${allowed}`);
    }
    const m = /^([^/]+)\/(\d{1,3})$/.exec(value);
    const family = m ? isIP(m[1]) : 0;
    const bits = m ? Number(m[2]) : NaN;
    if (!m || family === 0 || bits > (family === 4 ? 32 : 128)) {
        throw new Error(`${key}: "${value}" is not a CIDR; expected ${allowed}`);
    }
    return value;
}

/**
 * The Egress NetworkPolicy spec for cluster `cluster`'s Spark pods, or undefined when egress
 * control is off (then no egress policy exists and egress is open, as before).
 */
export function egressPolicySpec(
    cluster: string,
    enabled: boolean = EGRESS_DEFAULT_ENABLED,
    allowCidrs: readonly string[] = EGRESS_DEFAULT_ALLOW_CIDRS,
    key = "networkEgress.allowCidrs",
): NetworkPolicySpec | undefined {
    const cidrs = allowCidrs.map((c, i) => checkCidr(`${key}[${i}]`, c));
    if (!enabled) return undefined;
    const own = { "app.kubernetes.io/name": "spark", "app.kubernetes.io/instance": cluster };
    return {
        podSelector: { matchLabels: own },
        policyTypes: ["Egress"],
        egress: [
            // DNS, wherever the cluster's resolver runs (kube-dns/CoreDNS in kube-system, or a
            // node-local cache): only port 53.
            {
                ports: [
                    { port: 53, protocol: "UDP" },
                    { port: 53, protocol: "TCP" },
                ],
            },
            // The cluster's own pods (master, workers, executors, cluster-mode drivers) and its
            // client pods in the namespace (client-mode drivers: executors connect back to them).
            { to: [{ podSelector: { matchLabels: own } }, { podSelector: { matchLabels: { [EGRESS_CLIENT_LABEL]: "true" } } }] },
            ...(cidrs.length > 0 ? [{ to: cidrs.map((cidr) => ({ ipBlock: { cidr } })) }] : []),
        ],
    };
}
