// Writes the PrometheusRule's groups from components/monitoring/rules.ts as a promtool rule file
// (JSON is YAML): usage monitoring-rules.ts OUT.json. The cluster matches
// scripts/validate/monitoring-rules.test.yml (with a Connect server, so its alert is tested too).
import * as fs from "fs";
import { ruleGroups } from "../../components/monitoring/rules";

const out = process.argv[2];
if (out === undefined) throw new Error("usage: monitoring-rules.ts OUT.json");
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
