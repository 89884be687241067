// Pure builders for the Prometheus Operator's PodMonitor objects of one Spark cluster: one per
// role, selecting the role's pods by the same labels the workloads use (clusterSpec.selectorLabels)
// and scraping the UI port ("http") at Spark's PrometheusServlet path
// (images/spark/conf/spark-defaults.conf). SparkCluster creates them when `monitoring` is on.
import { selectorLabels } from "../clusterSpec";
import { DEFAULT_SCRAPE_INTERVAL } from "./rules";

/** The roles that serve Prometheus text. "connect" is the Connect server another change adds; pass it only where it exists. */
export type MonitoredRole = "master" | "worker" | "history" | "connect";

/** Spark's PrometheusServlet path on every UI (spark-defaults.conf). */
export const METRICS_PATH = "/metrics/prometheus";
export { DEFAULT_SCRAPE_INTERVAL };

export interface PodMonitorParams {
    /** Cluster name (the pods' app.kubernetes.io/instance). */
    cluster: string;
    namespace: string;
    role: MonitoredRole;
    /** Labels the Prometheus' podMonitorSelector matches (for example `release: kube-prometheus-stack`). */
    extraLabels?: Record<string, string>;
    /** Default DEFAULT_SCRAPE_INTERVAL. */
    interval?: string;
    /** Container port name; every Spark container names its UI port "http". */
    portName?: string;
}

/** The selector labels of a role's pods. The Connect server is expected to use the same scheme. */
export function roleSelector(cluster: string, role: MonitoredRole): Record<string, string> {
    // selectorLabels only types the roles clusterSpec knows; the label scheme is the same for connect.
    return { ...selectorLabels(cluster, "master"), "app.kubernetes.io/component": role };
}

export function podMonitorName(cluster: string, role: MonitoredRole): string {
    return `${cluster}-${role}`;
}

/** A monitoring.coreos.com/v1 PodMonitor for one role. */
export function podMonitor(p: PodMonitorParams): Record<string, unknown> {
    return {
        apiVersion: "monitoring.coreos.com/v1",
        kind: "PodMonitor",
        metadata: {
            name: podMonitorName(p.cluster, p.role),
            namespace: p.namespace,
            labels: { ...roleSelector(p.cluster, p.role), ...(p.extraLabels ?? {}) },
        },
        spec: {
            selector: { matchLabels: roleSelector(p.cluster, p.role) },
            namespaceSelector: { matchNames: [p.namespace] },
            podMetricsEndpoints: [
                {
                    port: p.portName ?? "http",
                    path: METRICS_PATH,
                    interval: p.interval ?? DEFAULT_SCRAPE_INTERVAL,
                    // The rules select a cluster by spark_cluster (the operator adds namespace itself).
                    relabelings: [
                        // action spelled out: the CRD defaults it, so the stored object equals the one sent.
                        {
                            action: "replace",
                            sourceLabels: ["__meta_kubernetes_pod_label_app_kubernetes_io_instance"],
                            targetLabel: "spark_cluster",
                        },
                        {
                            action: "replace",
                            sourceLabels: ["__meta_kubernetes_pod_label_app_kubernetes_io_component"],
                            targetLabel: "spark_role",
                        },
                    ],
                },
            ],
        },
    };
}

/** One PodMonitor per role given (see monitoredRoles for the roles a cluster gets). */
export function podMonitors(base: Omit<PodMonitorParams, "role">, roles: readonly MonitoredRole[]): Record<string, unknown>[] {
    return roles.map((role) => podMonitor({ ...base, role }));
}

/** Whether the cluster runs a Spark Connect server (config `connect`, components/connect.ts). */
export function runsConnectServer(cluster: { connect?: unknown }): boolean {
    return cluster.connect !== undefined;
}

/**
 * The roles of a cluster that serve Prometheus text: master and workers always, the Connect
 * server where it runs. Not the History Server: it starts no metrics system, and its UI answers
 * /metrics/prometheus with an HTML page (seen on a real 4.3.0 History Server), which would make
 * a target that is always down.
 */
export function monitoredRoles(cluster: object): MonitoredRole[] {
    return ["master", "worker", ...(runsConnectServer(cluster) ? (["connect"] as const) : [])];
}
