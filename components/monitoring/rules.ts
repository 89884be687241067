// Pure builder for the PrometheusRule of one Spark cluster. Metric names are the ones Spark 4.3.0's
// PrometheusServlet serves on the master UI (seen on a real master, see docs/monitoring.md);
// every series carries {type="gauges"}. Not wired into SparkCluster yet.

/** Thresholds of the alerts. Defaults in DEFAULT_THRESHOLDS. */
export interface RuleThresholds {
    /** Minutes the ALIVE workers may stay below the desired count before SparkWorkersBelowDesired fires. */
    workersBelowForMinutes: number;
    /** Minutes applications may wait for cores before SparkApplicationsWaiting fires. */
    appsWaitingForMinutes: number;
    /** Minutes the master may be unscrapable before SparkMasterDown fires. */
    masterDownForMinutes: number;
    /** Percent of the workers' offered cores in use above which SparkCoresSaturated fires (1-100). */
    coresUsedPercent: number;
    /** Minutes the cores may stay above coresUsedPercent before SparkCoresSaturated fires. */
    coresSaturatedForMinutes: number;
}

export const DEFAULT_THRESHOLDS: RuleThresholds = {
    workersBelowForMinutes: 5,
    appsWaitingForMinutes: 10,
    masterDownForMinutes: 2,
    coresUsedPercent: 90,
    coresSaturatedForMinutes: 15,
};

export interface RuleParams {
    cluster: string;
    namespace: string;
    /** The worker count the stack asked for (workerReplicas). */
    desiredWorkers: number;
    thresholds?: Partial<RuleThresholds>;
    extraLabels?: Record<string, string>;
}

/** Metric names each rule uses (from a real Spark 4.3.0 master). */
export const METRICS = {
    aliveWorkers: "metrics_master_aliveWorkers_Value",
    workers: "metrics_master_workers_Value",
    apps: "metrics_master_apps_Value",
    waitingApps: "metrics_master_waitingApps_Value",
    coresUsed: "metrics_worker_coresUsed_Value",
    coresFree: "metrics_worker_coresFree_Value",
    memUsedMB: "metrics_worker_memUsed_MB_Value",
    memFreeMB: "metrics_worker_memFree_MB_Value",
} as const;

function checkThresholds(t: RuleThresholds): void {
    for (const [key, value] of Object.entries(t)) {
        if (!Number.isInteger(value) || value < 1) {
            throw new Error(`monitoring threshold ${key}: got ${String(value)}, allowed: a whole number of minutes >= 1`);
        }
    }
}

/** The rule groups (the PrometheusRule's spec.groups, also what promtool reads). */
export function ruleGroups(p: RuleParams): Record<string, unknown>[] {
    if (!Number.isInteger(p.desiredWorkers) || p.desiredWorkers < 0) {
        throw new Error(`desiredWorkers: got ${String(p.desiredWorkers)}, allowed: a whole number >= 0`);
    }
    const t: RuleThresholds = { ...DEFAULT_THRESHOLDS, ...(p.thresholds ?? {}) };
    checkThresholds(t);
    if (t.coresUsedPercent > 100) {
        throw new Error(`monitoring threshold coresUsedPercent: got ${t.coresUsedPercent}, allowed: 1-100`);
    }
    const sel = `namespace="${p.namespace}",spark_cluster="${p.cluster}"`;
    const job = `{${sel}}`;
    const record = (name: string) => `spark:${name}`;
    return [
        {
            name: `spark-${p.cluster}.records`,
            rules: [
                { record: record("alive_workers"), expr: `max by (namespace, spark_cluster) (${METRICS.aliveWorkers}${job})` },
                { record: record("waiting_apps"), expr: `max by (namespace, spark_cluster) (${METRICS.waitingApps}${job})` },
                { record: record("apps"), expr: `max by (namespace, spark_cluster) (${METRICS.apps}${job})` },
                { record: record("cores_used"), expr: `sum by (namespace, spark_cluster) (${METRICS.coresUsed}${job})` },
                {
                    record: record("cores_offered"),
                    expr: `sum by (namespace, spark_cluster) (${METRICS.coresUsed}${job}) + sum by (namespace, spark_cluster) (${METRICS.coresFree}${job})`,
                },
                { record: record("memory_used_mb"), expr: `sum by (namespace, spark_cluster) (${METRICS.memUsedMB}${job})` },
                {
                    record: record("memory_offered_mb"),
                    expr: `sum by (namespace, spark_cluster) (${METRICS.memUsedMB}${job}) + sum by (namespace, spark_cluster) (${METRICS.memFreeMB}${job})`,
                },
            ],
        },
        {
            name: `spark-${p.cluster}.alerts`,
            rules: [
                {
                    alert: "SparkMasterDown",
                    expr: `absent(${METRICS.aliveWorkers}${job})`,
                    for: `${t.masterDownForMinutes}m`,
                    labels: { severity: "critical", namespace: p.namespace, spark_cluster: p.cluster },
                    annotations: {
                        summary: `Spark master of ${p.namespace}/${p.cluster} serves no metrics`,
                        runbook: `kubectl -n ${p.namespace} get pods -l app.kubernetes.io/instance=${p.cluster},app.kubernetes.io/component=master; read its logs (kubectl logs) and events; workers re-register by themselves once it is back.`,
                    },
                },
                {
                    alert: "SparkWorkersBelowDesired",
                    expr: `max by (namespace, spark_cluster) (${METRICS.aliveWorkers}${job}) < ${p.desiredWorkers}`,
                    for: `${t.workersBelowForMinutes}m`,
                    labels: { severity: "warning" },
                    annotations: {
                        summary: `{{ $value }} ALIVE workers in ${p.namespace}/${p.cluster}, ${p.desiredWorkers} desired`,
                        runbook: `kubectl -n ${p.namespace} get pods -l app.kubernetes.io/instance=${p.cluster},app.kubernetes.io/component=worker; a Pending pod means no room on the nodes, a crashing one: read its logs.`,
                    },
                },
                {
                    alert: "SparkApplicationsWaiting",
                    expr: `max by (namespace, spark_cluster) (${METRICS.waitingApps}${job}) > 0`,
                    for: `${t.appsWaitingForMinutes}m`,
                    labels: { severity: "warning" },
                    annotations: {
                        summary: `{{ $value }} applications in ${p.namespace}/${p.cluster} wait for cores`,
                        runbook:
                            "Add workers (workerReplicas or autoscaling) or lower the waiting applications' spark.cores.max; the master UI lists who holds the cores.",
                    },
                },
                {
                    alert: "SparkCoresSaturated",
                    expr: `100 * sum by (namespace, spark_cluster) (${METRICS.coresUsed}${job}) / (sum by (namespace, spark_cluster) (${METRICS.coresUsed}${job}) + sum by (namespace, spark_cluster) (${METRICS.coresFree}${job})) > ${t.coresUsedPercent}`,
                    for: `${t.coresSaturatedForMinutes}m`,
                    labels: { severity: "warning" },
                    annotations: {
                        summary: `{{ $value }}% of the offered cores in ${p.namespace}/${p.cluster} are in use`,
                        runbook:
                            "The cluster is full: add workers (workerReplicas, or raise the autoscaler's maximum) before applications start to wait.",
                    },
                },
            ],
        },
    ];
}

/** A monitoring.coreos.com/v1 PrometheusRule. */
export function prometheusRule(p: RuleParams): Record<string, unknown> {
    return {
        apiVersion: "monitoring.coreos.com/v1",
        kind: "PrometheusRule",
        metadata: {
            name: `${p.cluster}-spark`,
            namespace: p.namespace,
            labels: { "app.kubernetes.io/name": "spark", "app.kubernetes.io/instance": p.cluster, ...(p.extraLabels ?? {}) },
        },
        spec: { groups: ruleGroups(p) },
    };
}
