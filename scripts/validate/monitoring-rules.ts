// Writes the PrometheusRule's groups from components/monitoring/rules.ts as a promtool rule file
// (JSON is YAML), and every query of the Grafana dashboard (components/monitoring/dashboard.ts)
// as a recording rule of a second file, so promtool's parser checks their PromQL too:
// usage monitoring-rules.ts OUT.json DASHBOARD-OUT.json. The cluster matches
// scripts/validate/monitoring-rules.test.yml (with a Connect server, so its alert is tested too).
import * as fs from "fs";
import { dashboard, dashboardQueries } from "../../components/monitoring/dashboard";
import { ruleGroups } from "../../components/monitoring/rules";

const [out, dashboardOut] = process.argv.slice(2);
if (out === undefined || dashboardOut === undefined) throw new Error("usage: monitoring-rules.ts OUT.json DASHBOARD-OUT.json");
const groups = ruleGroups({
    cluster: "spark",
    namespace: "analytics",
    desiredWorkers: 2,
    connectServer: true,
    thresholds: {
        workersBelowForMinutes: 5,
        appsWaitingForMinutes: 10,
        masterDownForMinutes: 2,
        coresUsedPercent: 90,
        coresSaturatedForMinutes: 15,
        heapUsedPercent: 90,
        heapForMinutes: 10,
        connectDownForMinutes: 2,
    },
});
fs.writeFileSync(out, JSON.stringify({ groups }, null, 2));

// Both dashboard variants (with and without autoscaling): every query as a recording rule.
const queries = [false, true].flatMap((autoscaling) =>
    dashboardQueries(dashboard({ cluster: "spark", namespace: "analytics", desiredWorkers: 2, autoscaling })),
);
fs.writeFileSync(
    dashboardOut,
    JSON.stringify({ groups: [{ name: "dashboard-queries", rules: queries.map((expr, i) => ({ record: `dashboard:query_${i}`, expr })) }] }, null, 2),
);
