import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { parseConfig } from "../../components/config";
import { dashboard, dashboardQueries } from "../../components/monitoring/dashboard";
import { monitoredRoles, runsConnectServer } from "../../components/monitoring/podMonitors";
import {
    ALERTS,
    DEFAULT_SCRAPE_INTERVAL,
    DEFAULT_THRESHOLDS,
    METRIC_NAMES,
    METRIC_SOURCES,
    METRICS,
    RECORDS,
    ruleGroups,
} from "../../components/monitoring/rules";
import { all, evaluate, one } from "../../tooling/mocks/mocks";
import { refuses } from "./configSpecs";

const POD_MONITOR = "kubernetes:monitoring.coreos.com/v1:PodMonitor";
const RULE = "kubernetes:monitoring.coreos.com/v1:PrometheusRule";
const CONFIG_MAP = "kubernetes:core/v1:ConfigMap";

const PROMQL_WORDS = new Set([
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
    "and",
    "or",
    "unless",
    "bool",
    "offset",
    "sum",
    "max",
    "min",
    "avg",
    "count",
    "absent",
    "changes",
    "vector",
    "rate",
    "increase",
]);

/** The metric names a PromQL expression selects: identifiers outside strings, label matchers, grouping lists and ranges that are not functions or keywords. */
export function metricNames(expr: string): string[] {
    const bare = expr
        .replace(/"(?:[^"\\]|\\.)*"/g, '""')
        .replace(/\{[^}]*\}/g, " ")
        .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, " ")
        .replace(/\[[^\]]*\]/g, " ");
    const names = new Set<string>();
    for (const m of bare.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*(?=\s*(\()?)/g)) {
        if (m[1] === undefined && !PROMQL_WORDS.has(m[0])) {
            names.add(m[0]);
        }
    }
    return [...names];
}

function ruleExprs(groups: Record<string, unknown>[]): string[] {
    return groups.flatMap((g) => (g.rules as { expr: string }[]).map((r) => r.expr));
}

describe("monitoring config", () => {
    it("is off by default: no PodMonitor, PrometheusRule or dashboard", async () => {
        const e = await evaluate({});
        assert.strictEqual(e.config.clusters[0].monitoring, undefined);
        assert.deepStrictEqual(all(e.resources, POD_MONITOR), []);
        assert.deepStrictEqual(all(e.resources, RULE), []);
        assert.deepStrictEqual(
            all(e.resources, CONFIG_MAP).map((r) => r.name),
            [],
        );
    });

    it("turns on with {} and the rules' own defaults", () => {
        const m = parseConfig({ monitoring: "{}" }).clusters[0].monitoring;
        assert.deepStrictEqual(m, {
            dashboardLabelKey: "grafana_dashboard",
            dashboardLabelValue: "1",
            labels: {},
            scrapeInterval: DEFAULT_SCRAPE_INTERVAL,
            ...DEFAULT_THRESHOLDS,
        });
    });

    it("is set per cluster", () => {
        const c = parseConfig({
            clusters: JSON.stringify([{ name: "etl", monitoring: { coresUsedPercent: 75 } }, { name: "adhoc" }]),
        }).clusters;
        assert.strictEqual(c[0].monitoring?.coresUsedPercent, 75);
        assert.strictEqual(c[1].monitoring, undefined);
    });

    describe("refuses bad settings, naming key, value and what is allowed", () => {
        const cases: [string, string, string, RegExp][] = [
            ["not an object", "on", "monitoring", /"on": must be an object/],
            [
                "an unknown key",
                '{"coresPercent":80}',
                "monitoring.coresPercent",
                /unknown key; allowed: dashboardLabelKey, .*coresUsedPercent/,
            ],
            [
                "a bad dashboard label key",
                '{"dashboardLabelKey":"grafana dashboard"}',
                "monitoring.dashboardLabelKey",
                /"grafana dashboard": must be a Kubernetes label key/,
            ],
            [
                "a bad dashboard label value",
                '{"dashboardLabelValue":"yes please"}',
                "monitoring.dashboardLabelValue",
                /"yes please": must be a Kubernetes label value/,
            ],
            [
                "a bad extra label",
                '{"labels":{"release":"kube prometheus"}}',
                "monitoring.labels.release",
                /must be a Kubernetes label value/,
            ],
            ["labels not an object", '{"labels":"release=kps"}', "monitoring.labels", /must be an object of label keys to values/],
            [
                "a bad scrape interval",
                '{"scrapeInterval":"30"}',
                "monitoring.scrapeInterval",
                /"30": must be a duration in whole seconds or minutes/,
            ],
            [
                "0 minutes",
                '{"workersBelowForMinutes":0}',
                "monitoring.workersBelowForMinutes",
                /"?0"?: must be a whole number of minutes from 1 to 1440/,
            ],
            [
                "fractional minutes",
                '{"appsWaitingForMinutes":2.5}',
                "monitoring.appsWaitingForMinutes",
                /2.5"?: must be a whole number of minutes/,
            ],
            [
                "minutes as words",
                '{"masterDownForMinutes":"two"}',
                "monitoring.masterDownForMinutes",
                /"two": must be a whole number of minutes/,
            ],
            ["too many minutes", '{"coresSaturatedForMinutes":2000}', "monitoring.coresSaturatedForMinutes", /from 1 to 1440/],
            ["heap minutes 0", '{"heapForMinutes":0}', "monitoring.heapForMinutes", /from 1 to 1440/],
            ["connect minutes 0", '{"connectDownForMinutes":0}', "monitoring.connectDownForMinutes", /from 1 to 1440/],
            [
                "cores above 100%",
                '{"coresUsedPercent":150}',
                "monitoring.coresUsedPercent",
                /150"?: must be a whole percentage from 1 to 100/,
            ],
            ["cores 0%", '{"coresUsedPercent":0}', "monitoring.coresUsedPercent", /must be a whole percentage from 1 to 100/],
            ["heap above 100%", '{"heapUsedPercent":101}', "monitoring.heapUsedPercent", /must be a whole percentage from 1 to 100/],
        ];
        for (const [title, value, key, allowed] of cases) {
            it(title, () => refuses({ monitoring: value }, key, allowed));
        }
        it("names the cluster entry", () =>
            refuses(
                { clusters: JSON.stringify([{ name: "etl", monitoring: { heapUsedPercent: 0 } }]) },
                "clusters[0].monitoring.heapUsedPercent",
                /1 to 100/,
            ));
    });
});

describe("monitoring objects in the stack", () => {
    it("creates a PodMonitor per running role, the rule and the labelled dashboard ConfigMap", async () => {
        const e = await evaluate({
            namespace: "analytics",
            workerReplicas: "3",
            monitoring: JSON.stringify({ labels: { release: "kps" }, workersBelowForMinutes: 1, scrapeInterval: "15s" }),
        });
        const monitors = all(e.resources, POD_MONITOR);
        assert.deepStrictEqual(
            monitors.map((r) => [r.name, r.inputs.metadata.name, r.inputs.metadata.namespace]),
            [
                ["spark-podmonitor-master", "spark-master", "analytics"],
                ["spark-podmonitor-worker", "spark-worker", "analytics"],
            ],
        );
        assert.strictEqual(monitors[0].inputs.metadata.labels.release, "kps");
        assert.strictEqual(monitors[1].inputs.spec.podMetricsEndpoints[0].interval, "15s");
        assert.deepStrictEqual(monitors[1].inputs.spec.selector.matchLabels, {
            "app.kubernetes.io/name": "spark",
            "app.kubernetes.io/instance": "spark",
            "app.kubernetes.io/component": "worker",
        });
        // The selector matches the worker pods' own labels.
        const workerPodLabels = one(e.resources, "kubernetes:apps/v1:Deployment", "spark-worker").inputs.spec.template.metadata.labels;
        for (const [k, v] of Object.entries(monitors[1].inputs.spec.selector.matchLabels as Record<string, string>)) {
            assert.strictEqual(workerPodLabels[k], v, k);
        }

        const rule = one(e.resources, RULE).inputs;
        assert.strictEqual(rule.metadata.namespace, "analytics");
        assert.strictEqual(rule.metadata.labels.release, "kps");
        const alerts = rule.spec.groups[1].rules as { alert: string; for: string; expr: string }[];
        const below = alerts.find((a) => a.alert === "SparkWorkersBelowDesired")!;
        assert.strictEqual(below.for, "1m");
        assert.match(below.expr, /< 3$/);
        assert.deepStrictEqual(
            alerts.map((a) => a.alert),
            ALERTS.filter((a) => a !== "SparkConnectServerDown"),
        );

        const cm = one(e.resources, CONFIG_MAP, "spark-dashboard").inputs;
        assert.strictEqual(cm.metadata.name, "spark-spark-dashboard");
        assert.strictEqual(cm.metadata.labels.grafana_dashboard, "1");
        const model = JSON.parse(cm.data["spark-analytics-spark.json"] as string) as Record<string, unknown>;
        assert.strictEqual(model.title, "Spark analytics/spark");
        assert.strictEqual(model.uid, "spark-analytics-spark");
    });

    it("makes no PodMonitor for the History Server (it serves no Prometheus text), and takes a dashboard label of the operator's choice", async () => {
        const e = await evaluate({
            historyServer: "true",
            monitoring: JSON.stringify({ dashboardLabelKey: "example.com/dashboard", dashboardLabelValue: "spark" }),
        });
        assert.deepStrictEqual(
            all(e.resources, POD_MONITOR).map((r) => r.inputs.metadata.name),
            ["spark-master", "spark-worker"],
        );
        const labels = one(e.resources, CONFIG_MAP, "spark-dashboard").inputs.metadata.labels as Record<string, string>;
        assert.strictEqual(labels["example.com/dashboard"], "spark");
        assert.strictEqual(labels.grafana_dashboard, undefined);
    });

    it("with autoscaling: the rule wants the autoscaler's minimum ALIVE and the dashboard shows its replicas", async () => {
        const e = await evaluate({
            workerReplicas: "2",
            autoscaling: JSON.stringify({ minReplicas: 1, maxReplicas: 6 }),
            monitoring: "{}",
        });
        const alerts = one(e.resources, RULE).inputs.spec.groups[1].rules as { alert: string; expr: string }[];
        assert.match(alerts.find((a) => a.alert === "SparkWorkersBelowDesired")!.expr, /< 1$/);
        const model = JSON.parse(Object.values(one(e.resources, CONFIG_MAP, "spark-dashboard").inputs.data as Record<string, string>)[0]);
        const titles = (model.panels as { title: string }[]).map((p) => p.title);
        assert.ok(titles.includes("Worker replicas (autoscaler)"), titles.join(", "));
        const fixed = dashboard({ cluster: "spark", namespace: "spark", desiredWorkers: 2, autoscaling: false });
        assert.ok(!(fixed.panels as { title: string }[]).some((p) => p.title === "Worker replicas (autoscaler)"));
    });

    it("each cluster gets its own objects in its own namespace", async () => {
        const e = await evaluate({ clusters: JSON.stringify([{ name: "etl", monitoring: {} }, { name: "adhoc" }]) });
        assert.deepStrictEqual(
            all(e.resources, POD_MONITOR).map((r) => r.inputs.metadata.namespace),
            ["etl", "etl"],
        );
        assert.strictEqual(one(e.resources, RULE).inputs.metadata.namespace, "etl");
    });
});

describe("monitoring metric names: one list for the rules and the dashboard", () => {
    it("finds the metric names of an expression", () => {
        assert.deepStrictEqual(
            metricNames('100 * max by (pod) (a_b{x="y{z}"}) / sum without (q) (rate(c:d[5m])) > 3 or absent(up{j="k"}) - vector(2)'),
            ["a_b", "c:d", "up"],
        );
    });

    it("the rules use only listed names (and their own records)", () => {
        const groups = ruleGroups({ cluster: "c", namespace: "n", desiredWorkers: 2, connectServer: true });
        const used = new Set(ruleExprs(groups).flatMap(metricNames));
        for (const name of used) {
            assert.ok(METRIC_NAMES.includes(name) || Object.values(RECORDS).includes(name as never), `${name} is not in METRICS`);
        }
        // And every Spark metric the rules need is one a Spark role serves.
        for (const key of Object.keys(METRICS) as (keyof typeof METRICS)[]) {
            assert.ok(METRIC_SOURCES[key] !== undefined, key);
        }
        assert.ok(used.has(METRICS.aliveWorkers) && used.has(METRICS.heapUsed) && used.has(METRICS.up));
    });

    it("every dashboard query uses only listed names or the rules' records", () => {
        for (const autoscaling of [false, true]) {
            const queries = dashboardQueries(dashboard({ cluster: "c", namespace: "n", desiredWorkers: 2, autoscaling }));
            assert.ok(queries.length >= 10, String(queries.length));
            const records = new Set(
                (ruleGroups({ cluster: "c", namespace: "n", desiredWorkers: 2 })[0].rules as { record: string }[]).map((r) => r.record),
            );
            for (const q of queries) {
                for (const name of metricNames(q)) {
                    assert.ok(
                        METRIC_NAMES.includes(name) || records.has(name),
                        `${name} (in ${q}) is neither in METRICS nor a recording rule`,
                    );
                }
            }
        }
    });

    it("every Spark metric in the list is one a real master or worker served, on both Spark versions (names captured by hand)", () => {
        const sparkNames = (Object.keys(METRICS) as (keyof typeof METRICS)[])
            .filter((k) => ["master", "worker", "master+worker"].includes(METRIC_SOURCES[k]))
            .map((k) => METRICS[k]);
        assert.ok(sparkNames.length >= 11, String(sparkNames.length));
        for (const version of ["4.3.0", "3.5.9"]) {
            const file = path.join(__dirname, "fixtures", `spark-${version}-metric-names.txt`);
            const served = new Set(
                fs
                    .readFileSync(file, "utf8")
                    .split("\n")
                    .filter((l) => l !== "" && !l.startsWith("#")),
            );
            for (const name of sparkNames) {
                assert.ok(served.has(name), `${name} is not served by Spark ${version}`);
            }
        }
    });

    it("adds the Connect server's PodMonitor and alert only where it runs (config connect)", async () => {
        assert.strictEqual(runsConnectServer({}), false);
        assert.strictEqual(runsConnectServer({ connect: undefined }), false);
        assert.strictEqual(runsConnectServer({ connect: { cores: 1 } }), true);
        assert.deepStrictEqual(monitoredRoles({ connect: { cores: 1 } }), ["master", "worker", "connect"]);
        // On the stack: the connect PodMonitor selects exactly the Connect server's pods.
        const e = await evaluate({ monitoring: "{}", connect: "{}" });
        const monitor = all(e.resources, POD_MONITOR).find(
            (r) => r.inputs.spec.selector.matchLabels["app.kubernetes.io/component"] === "connect",
        );
        assert.ok(monitor, "no PodMonitor for the Connect server");
        const server = one(e.resources, "kubernetes:apps/v1:Deployment", "spark-connect").inputs.spec.template.metadata.labels;
        for (const [k, v] of Object.entries(monitor.inputs.spec.selector.matchLabels as Record<string, string>)) {
            assert.strictEqual(server[k], v, k);
        }
        assert.ok(
            all(e.resources, RULE)[0].inputs.spec.groups.some((g: any) => g.rules.some((r: any) => r.alert === "SparkConnectServerDown")),
        );
        const alerts = (c: boolean) =>
            (ruleGroups({ cluster: "c", namespace: "n", desiredWorkers: 1, connectServer: c })[1].rules as { alert: string }[]).map(
                (a) => a.alert,
            );
        assert.ok(alerts(true).includes("SparkConnectServerDown"));
        assert.ok(!alerts(false).includes("SparkConnectServerDown"));
    });
});
