// The Grafana dashboard of one Spark cluster, built as code with Grafana's foundation SDK
// (@grafana/grafana-foundation-sdk), and the ConfigMap Grafana's dashboard sidecar loads it from.
// Every query takes its metric names from rules.ts (METRICS, RECORDS): the list a check of the
// scraped series covers.
import { DashboardBuilder, DashboardCursorSync, DatasourceVariableBuilder, RowBuilder } from "@grafana/grafana-foundation-sdk/dashboard";
import { DataqueryBuilder } from "@grafana/grafana-foundation-sdk/prometheus";
import { PanelBuilder as StatPanel } from "@grafana/grafana-foundation-sdk/stat";
import { PanelBuilder as TimeseriesPanel } from "@grafana/grafana-foundation-sdk/timeseries";
import { METRICS, RECORDS } from "./rules";

export interface DashboardParams {
    cluster: string;
    namespace: string;
    /** The worker count the stack asked for (workerReplicas); with autoscaling the Deployment's replicas are shown too. */
    desiredWorkers: number;
    /** The cluster's workers are autoscaled (KEDA or an HPA): adds the autoscaler's replicas. */
    autoscaling: boolean;
}

/** The dashboard's Prometheus data source: a variable, so it works with any Prometheus data source name. */
const DATASOURCE = { type: "prometheus", uid: "${datasource}" };

/** A dashboard uid: at most 40 characters, stable per namespace and cluster. */
export function dashboardUid(namespace: string, cluster: string): string {
    const uid = `spark-${namespace}-${cluster}`;
    return uid.length <= 40 ? uid : uid.slice(0, 40);
}

function query(refId: string, expr: string, legend: string): DataqueryBuilder {
    return new DataqueryBuilder().refId(refId).expr(expr).legendFormat(legend).datasource(DATASOURCE);
}

function timeseries(title: string, description: string, unit: string, queries: DataqueryBuilder[]): TimeseriesPanel {
    const panel = new TimeseriesPanel().title(title).description(description).unit(unit).datasource(DATASOURCE).height(8).span(12);
    queries.forEach((q) => panel.withTarget(q));
    return panel;
}

/** The dashboard model (Grafana's JSON dashboard schema). */
export function dashboard(p: DashboardParams): Record<string, unknown> {
    const sel = `namespace="${p.namespace}",spark_cluster="${p.cluster}"`;
    const workerDeployment = `namespace="${p.namespace}",deployment="${p.cluster}-worker"`;
    const d = new DashboardBuilder(`Spark ${p.namespace}/${p.cluster}`)
        .uid(dashboardUid(p.namespace, p.cluster))
        .tags(["spark", "spark-on-k8s"])
        .description(`Spark standalone cluster ${p.cluster} in namespace ${p.namespace} (spark-on-k8s)`)
        .refresh("30s")
        .time({ from: "now-6h", to: "now" })
        .tooltip(DashboardCursorSync.Crosshair)
        .readonly()
        .withVariable(new DatasourceVariableBuilder("datasource").label("Prometheus").type("prometheus"))
        .withRow(new RowBuilder("Capacity"))
        .withPanel(
            new StatPanel()
                .title("ALIVE workers")
                .description(`Workers registered and ALIVE at the master; ${p.desiredWorkers} asked for`)
                .datasource(DATASOURCE)
                .height(4)
                .span(6)
                .withTarget(query("A", `${RECORDS.aliveWorkers}{${sel}}`, "ALIVE")),
        )
        .withPanel(
            new StatPanel()
                .title("Applications waiting")
                .description("Applications the master has not given all their cores yet")
                .datasource(DATASOURCE)
                .height(4)
                .span(6)
                .withTarget(query("A", `${RECORDS.waitingApps}{${sel}}`, "waiting")),
        )
        .withPanel(
            timeseries(
                "Workers: ALIVE vs desired",
                "ALIVE workers at the master against the count the stack (or the autoscaler) asked for",
                "none",
                [
                    query("A", `${RECORDS.aliveWorkers}{${sel}}`, "ALIVE"),
                    query("B", `${METRICS.workers}{${sel}}`, "registered"),
                    p.autoscaling
                        ? query("C", `${METRICS.deploymentReplicas}{${workerDeployment}}`, "desired (autoscaler)")
                        : query("C", `vector(${p.desiredWorkers})`, "desired"),
                ],
            ),
        )
        .withPanel(
            timeseries("Cores: used vs offered", "Cores the workers offer and the executors hold", "none", [
                query("A", `${RECORDS.coresUsed}{${sel}}`, "used"),
                query("B", `${RECORDS.coresOffered}{${sel}}`, "offered"),
            ]),
        )
        .withPanel(
            timeseries("Memory: used vs offered", "Executor memory the workers offer and the executors hold", "decmbytes", [
                query("A", `${RECORDS.memoryUsedMB}{${sel}}`, "used"),
                query("B", `${RECORDS.memoryOfferedMB}{${sel}}`, "offered"),
            ]),
        )
        .withRow(new RowBuilder("Applications and executors"))
        .withPanel(
            timeseries("Applications: running and waiting", "Applications at the master; waiting = not yet given all their cores", "none", [
                query("A", `${RECORDS.apps}{${sel}} - ${RECORDS.waitingApps}{${sel}}`, "running"),
                query("B", `${RECORDS.waitingApps}{${sel}}`, "waiting"),
            ]),
        )
        .withPanel(
            timeseries(
                "Executors per worker, and their churn (failures)",
                "Executors each worker runs. Spark's daemons export no failure counter: a failing executor is relaunched by the master, so failures show as churn (changes in 10 minutes) while the count stays flat.",
                "none",
                [
                    query("A", `sum by (pod) (${METRICS.executors}{${sel}})`, "{{pod}}"),
                    query("B", `sum by (pod) (changes(${METRICS.executors}{${sel}}[10m]))`, "{{pod}} changes/10m"),
                ],
            ),
        )
        .withPanel(
            timeseries("Daemon JVM heap", "Heap used by each master and worker daemon, percent of its maximum", "percent", [
                query(
                    "A",
                    `100 * max by (spark_role, pod) (${METRICS.heapUsed}{${sel}}) / max by (spark_role, pod) (${METRICS.heapMax}{${sel}})`,
                    "{{spark_role}} {{pod}}",
                ),
            ]),
        );
    if (p.autoscaling) {
        d.withRow(new RowBuilder("Autoscaler")).withPanel(
            timeseries(
                "Worker replicas (autoscaler)",
                "The worker Deployment's replicas as the autoscaler set them, and those available (kube-state-metrics)",
                "none",
                [
                    query("A", `${METRICS.deploymentReplicas}{${workerDeployment}}`, "desired"),
                    query("B", `${METRICS.deploymentAvailable}{${workerDeployment}}`, "available"),
                ],
            ),
        );
    }
    return d.build() as unknown as Record<string, unknown>;
}

/** The PromQL of every panel target (for the checks). */
export function dashboardQueries(model: Record<string, unknown>): string[] {
    const panels = (model.panels ?? []) as { targets?: { expr?: string }[]; panels?: unknown[] }[];
    return panels.flatMap((panel) => (panel.targets ?? []).map((t) => t.expr ?? "")).filter((e) => e !== "");
}

export interface DashboardConfigMapParams extends DashboardParams {
    /** The label Grafana's sidecar looks for (kube-prometheus-stack: grafana_dashboard=1). */
    label: { key: string; value: string };
}

export function dashboardConfigMapName(cluster: string): string {
    return `${cluster}-spark-dashboard`;
}

/** The ConfigMap's metadata labels and data: one JSON file the sidecar writes into Grafana's dashboards folder. */
export function dashboardConfigMapData(p: DashboardConfigMapParams): { labels: Record<string, string>; data: Record<string, string> } {
    return {
        labels: {
            "app.kubernetes.io/name": "spark",
            "app.kubernetes.io/instance": p.cluster,
            [p.label.key]: p.label.value,
        },
        data: { [`spark-${p.namespace}-${p.cluster}.json`]: JSON.stringify(dashboard(p), null, 2) },
    };
}
