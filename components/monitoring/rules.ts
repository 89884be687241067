// Pure builder for the PrometheusRule of one Spark cluster. Metric names are the ones Spark's
// PrometheusServlet serves on the master and worker UIs (seen on a real 4.3.0 master and worker,
// see docs/monitoring.md); every Spark series carries {type="gauges"}. The JVM heap gauges come
// from the JvmSource that images/spark/conf/spark-defaults.conf turns on for master and worker.

/** Default scrape interval of the PodMonitors. */
export const DEFAULT_SCRAPE_INTERVAL = "30s";

/** Thresholds of the alerts (config key `monitoring`, components/config/cluster.ts). Defaults in DEFAULT_THRESHOLDS. */
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
    /** Percent of a daemon's maximum JVM heap in use above which SparkDaemonHeapNearLimit fires (1-100). */
    heapUsedPercent: number;
    /** Minutes the heap may stay above heapUsedPercent before SparkDaemonHeapNearLimit fires. */
    heapForMinutes: number;
    /** Minutes the Connect server may be down or unscrapable before SparkConnectServerDown fires. */
    connectDownForMinutes: number;
}

export const DEFAULT_THRESHOLDS: RuleThresholds = {
    workersBelowForMinutes: 5,
    appsWaitingForMinutes: 10,
    masterDownForMinutes: 2,
    coresUsedPercent: 90,
    coresSaturatedForMinutes: 15,
    heapUsedPercent: 90,
    heapForMinutes: 10,
    connectDownForMinutes: 2,
};

const PERCENT_KEYS: readonly (keyof RuleThresholds)[] = ["coresUsedPercent", "heapUsedPercent"];

export interface RuleParams {
    cluster: string;
    namespace: string;
    /** The worker count the stack asked for (workerReplicas). */
    desiredWorkers: number;
    thresholds?: Partial<RuleThresholds>;
    extraLabels?: Record<string, string>;
    /** The cluster runs a Spark Connect server (pods with component label `connect`): adds SparkConnectServerDown. */
    connectServer?: boolean;
}

/** Where a metric comes from: a Spark role's PrometheusServlet, Prometheus itself, or kube-state-metrics. */
export type MetricSource = "master" | "worker" | "master+worker" | "prometheus" | "kube-state-metrics";

/**
 * Every metric name a rule or a dashboard query uses, with where it comes from (the Spark ones
 * seen on a real master and worker). The dashboard and the rules take their names from here only,
 * so a check of the scraped series (node tier) covers both.
 */
export const METRICS = {
    aliveWorkers: "metrics_master_aliveWorkers_Value",
    workers: "metrics_master_workers_Value",
    apps: "metrics_master_apps_Value",
    waitingApps: "metrics_master_waitingApps_Value",
    coresUsed: "metrics_worker_coresUsed_Value",
    coresFree: "metrics_worker_coresFree_Value",
    memUsedMB: "metrics_worker_memUsed_MB_Value",
    memFreeMB: "metrics_worker_memFree_MB_Value",
    executors: "metrics_worker_executors_Value",
    heapUsed: "metrics_jvm_heap_used_Value",
    heapMax: "metrics_jvm_heap_max_Value",
    /** Prometheus' own per-target series (1 = the last scrape worked). */
    up: "up",
    /** kube-state-metrics: the worker Deployment's replicas as the autoscaler set them. */
    deploymentReplicas: "kube_deployment_spec_replicas",
    /** kube-state-metrics: the worker Deployment's available replicas. */
    deploymentAvailable: "kube_deployment_status_replicas_available",
} as const;

export const METRIC_SOURCES: Readonly<Record<keyof typeof METRICS, MetricSource>> = {
    aliveWorkers: "master",
    workers: "master",
    apps: "master",
    waitingApps: "master",
    coresUsed: "worker",
    coresFree: "worker",
    memUsedMB: "worker",
    memFreeMB: "worker",
    executors: "worker",
    heapUsed: "master+worker",
    heapMax: "master+worker",
    up: "prometheus",
    deploymentReplicas: "kube-state-metrics",
    deploymentAvailable: "kube-state-metrics",
};

/** The metric names, one list (what a query may use besides recording rules `spark:*`). */
export const METRIC_NAMES: readonly string[] = Object.values(METRICS);

/** The recording rules' names (spark:alive_workers, ...): queries may use these too. */
export const RECORDS = {
    aliveWorkers: "spark:alive_workers",
    waitingApps: "spark:waiting_apps",
    apps: "spark:apps",
    coresUsed: "spark:cores_used",
    coresOffered: "spark:cores_offered",
    memoryUsedMB: "spark:memory_used_mb",
    memoryOfferedMB: "spark:memory_offered_mb",
} as const;

/** Every alert the rule may hold. */
export const ALERTS = [
    "SparkMasterDown",
    "SparkWorkersBelowDesired",
    "SparkApplicationsWaiting",
    "SparkCoresSaturated",
    "SparkDaemonHeapNearLimit",
    "SparkConnectServerDown",
] as const;

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
    for (const key of PERCENT_KEYS) {
        if (t[key] > 100) {
            throw new Error(`monitoring threshold ${key}: got ${t[key]}, allowed: 1-100`);
        }
    }
    const sel = `namespace="${p.namespace}",spark_cluster="${p.cluster}"`;
    const job = `{${sel}}`;
    const rolePods = (role: string) =>
        `kubectl -n ${p.namespace} get pods -l app.kubernetes.io/instance=${p.cluster},app.kubernetes.io/component=${role}`;
    return [
        {
            name: `spark-${p.cluster}.records`,
            rules: [
                { record: RECORDS.aliveWorkers, expr: `max by (namespace, spark_cluster) (${METRICS.aliveWorkers}${job})` },
                { record: RECORDS.waitingApps, expr: `max by (namespace, spark_cluster) (${METRICS.waitingApps}${job})` },
                { record: RECORDS.apps, expr: `max by (namespace, spark_cluster) (${METRICS.apps}${job})` },
                { record: RECORDS.coresUsed, expr: `sum by (namespace, spark_cluster) (${METRICS.coresUsed}${job})` },
                {
                    record: RECORDS.coresOffered,
                    expr: `sum by (namespace, spark_cluster) (${METRICS.coresUsed}${job}) + sum by (namespace, spark_cluster) (${METRICS.coresFree}${job})`,
                },
                { record: RECORDS.memoryUsedMB, expr: `sum by (namespace, spark_cluster) (${METRICS.memUsedMB}${job})` },
                {
                    record: RECORDS.memoryOfferedMB,
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
                        runbook: `${rolePods("master")}; read its logs (kubectl logs) and events; workers re-register by themselves once it is back.`,
                    },
                },
                {
                    alert: "SparkWorkersBelowDesired",
                    expr: `max by (namespace, spark_cluster) (${METRICS.aliveWorkers}${job}) < ${p.desiredWorkers}`,
                    for: `${t.workersBelowForMinutes}m`,
                    labels: { severity: "warning" },
                    annotations: {
                        summary: `{{ $value }} ALIVE workers in ${p.namespace}/${p.cluster}, ${p.desiredWorkers} desired`,
                        runbook: `${rolePods("worker")}; a Pending pod means no room on the nodes, a crashing one: read its logs.`,
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
                {
                    alert: "SparkDaemonHeapNearLimit",
                    expr: `100 * max by (namespace, spark_cluster, spark_role, pod) (${METRICS.heapUsed}${job}) / max by (namespace, spark_cluster, spark_role, pod) (${METRICS.heapMax}${job}) > ${t.heapUsedPercent}`,
                    for: `${t.heapForMinutes}m`,
                    labels: { severity: "warning" },
                    annotations: {
                        summary: `{{ $labels.spark_role }} {{ $labels.pod }} in ${p.namespace}/${p.cluster} uses {{ $value | humanize }}% of its maximum JVM heap`,
                        runbook:
                            "A master holding many applications or a worker holding many executors' state needs more heap: raise masterMemory or workerMemory (the daemon heap grows with it); an OutOfMemoryError in the pod's log confirms it.",
                    },
                },
                ...(p.connectServer
                    ? [
                          {
                              alert: "SparkConnectServerDown",
                              expr: `max by (namespace, spark_cluster) (${METRICS.up}{${sel},spark_role="connect"}) < 1 or absent(${METRICS.up}{${sel},spark_role="connect"})`,
                              for: `${t.connectDownForMinutes}m`,
                              labels: { severity: "critical", namespace: p.namespace, spark_cluster: p.cluster },
                              annotations: {
                                  summary: `Spark Connect server of ${p.namespace}/${p.cluster} is down or serves no metrics`,
                                  runbook: `${rolePods("connect")}; read its logs and events; clients reconnect once it is back.`,
                              },
                          },
                      ]
                    : []),
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
