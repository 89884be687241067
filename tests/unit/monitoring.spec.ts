import * as assert from "assert";
import { podMonitor, podMonitors } from "../../components/monitoring/podMonitors";
import { DEFAULT_THRESHOLDS, prometheusRule, ruleGroups } from "../../components/monitoring/rules";

describe("monitoring builders", () => {
    it("builds the master's PodMonitor exactly", () => {
        assert.deepStrictEqual(podMonitor({ cluster: "spark", namespace: "analytics", role: "master", extraLabels: { release: "kps" } }), {
            apiVersion: "monitoring.coreos.com/v1",
            kind: "PodMonitor",
            metadata: {
                name: "spark-master",
                namespace: "analytics",
                labels: {
                    "app.kubernetes.io/name": "spark",
                    "app.kubernetes.io/instance": "spark",
                    "app.kubernetes.io/component": "master",
                    release: "kps",
                },
            },
            spec: {
                selector: {
                    matchLabels: {
                        "app.kubernetes.io/name": "spark",
                        "app.kubernetes.io/instance": "spark",
                        "app.kubernetes.io/component": "master",
                    },
                },
                namespaceSelector: { matchNames: ["analytics"] },
                podMetricsEndpoints: [
                    {
                        port: "http",
                        path: "/metrics/prometheus",
                        interval: "30s",
                        relabelings: [
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
        });
    });

    it("builds one PodMonitor per role given, the Connect server included", () => {
        const names = podMonitors({ cluster: "c", namespace: "n" }, ["master", "worker", "history", "connect"]).map(
            (m) => (m.metadata as { name: string }).name,
        );
        assert.deepStrictEqual(names, ["c-master", "c-worker", "c-history", "c-connect"]);
    });

    it("puts the alerts with severity, runbook and the thresholds given", () => {
        const groups = ruleGroups({
            cluster: "spark",
            namespace: "analytics",
            desiredWorkers: 3,
            thresholds: { workersBelowForMinutes: 1 },
        });
        const alerts = (groups[1] as { rules: Record<string, unknown>[] }).rules;
        assert.deepStrictEqual(
            alerts.map((a) => [a.alert, a.for]),
            [
                ["SparkMasterDown", `${DEFAULT_THRESHOLDS.masterDownForMinutes}m`],
                ["SparkWorkersBelowDesired", "1m"],
                ["SparkApplicationsWaiting", `${DEFAULT_THRESHOLDS.appsWaitingForMinutes}m`],
                ["SparkCoresSaturated", `${DEFAULT_THRESHOLDS.coresSaturatedForMinutes}m`],
                ["SparkDaemonHeapNearLimit", `${DEFAULT_THRESHOLDS.heapForMinutes}m`],
            ],
        );
        assert.strictEqual(
            alerts[1].expr,
            'max by (namespace, spark_cluster) (metrics_master_aliveWorkers_Value{namespace="analytics",spark_cluster="spark"}) < 3',
        );
        for (const a of alerts) {
            const labels = a.labels as Record<string, string>;
            const annotations = a.annotations as Record<string, string>;
            assert.ok(["critical", "warning"].includes(labels.severity), String(a.alert));
            assert.ok(annotations.runbook.length > 20, String(a.alert));
        }
        const rule = prometheusRule({ cluster: "spark", namespace: "analytics", desiredWorkers: 3 });
        assert.deepStrictEqual(rule.metadata, {
            name: "spark-spark",
            namespace: "analytics",
            labels: { "app.kubernetes.io/name": "spark", "app.kubernetes.io/instance": "spark" },
        });
    });

    it("refuses bad thresholds naming the key, the value and what is allowed", () => {
        assert.throws(
            () => ruleGroups({ cluster: "c", namespace: "n", desiredWorkers: 1, thresholds: { workersBelowForMinutes: 0 } }),
            /^Error: monitoring threshold workersBelowForMinutes: got 0, allowed: a whole number of minutes >= 1$/,
        );
        assert.throws(
            () => ruleGroups({ cluster: "c", namespace: "n", desiredWorkers: 1, thresholds: { coresUsedPercent: 150 } }),
            /^Error: monitoring threshold coresUsedPercent: got 150, allowed: 1-100$/,
        );
        assert.throws(
            () => ruleGroups({ cluster: "c", namespace: "n", desiredWorkers: -1 }),
            /^Error: desiredWorkers: got -1, allowed: a whole number >= 0$/,
        );
    });
});
