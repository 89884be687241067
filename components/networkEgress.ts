// Optional egress control for one Spark cluster (config `networkEgress`, off by default). When on,
// the cluster's Spark pods may open connections only to DNS, to the cluster's own pods, to its
// client pods (a client-mode driver runs there and the executors connect back to it) and to a list
// of CIDRs (an object store, a metastore). An enforcing network plugin drops everything else they
// try; the node tier shows it does under kube-network-policies (docs/security.md).
import * as k8s from "@pulumi/kubernetes";
import { CLIENT_LABEL, ownLabels } from "./clusterSpec";
import { ClusterConfig } from "./config";

/**
 * The Egress NetworkPolicy spec for the cluster's Spark pods, or undefined when egress control is
 * off (then no egress policy exists and egress is open).
 */
export function egressPolicySpec(cluster: ClusterConfig): k8s.types.input.networking.v1.NetworkPolicySpec | undefined {
    if (cluster.networkEgress === undefined) return undefined;
    const own = ownLabels(cluster);
    const cidrs = cluster.networkEgress.allowCidrs;
    return {
        podSelector: { matchLabels: own },
        policyTypes: ["Egress"],
        egress: [
            // DNS, wherever the cluster's resolver runs (kube-dns/CoreDNS in kube-system, a node-local
            // cache, or a resolver on the node): only port 53.
            {
                ports: [
                    { port: 53, protocol: "UDP" },
                    { port: 53, protocol: "TCP" },
                ],
            },
            // The cluster's own pods (master, workers, executors, cluster-mode drivers, Connect) and
            // its client pods in the namespace (client-mode drivers: executors connect back to them).
            { to: [{ podSelector: { matchLabels: own } }, { podSelector: { matchLabels: { [CLIENT_LABEL]: "true" } } }] },
            // Never an empty `to` (which would allow everything): no rule at all without CIDRs.
            ...(cidrs.length > 0 ? [{ to: cidrs.map((cidr) => ({ ipBlock: { cidr } })) }] : []),
        ],
    };
}
