// Benchmark (not a test): first-result latency of a Spark Connect session against spark-submit
// of the same job in a Job pod, on real nodes, in one run. Prints a table and the ratio.
//
//   npm run bench:connect            # BENCH_CONNECT_ROUNDS (default 3) rounds of each
//
// It runs the node tier (tests/node, root and Linux; the tools of scripts/tools/build.sh) for its
// specs 1 (up), 2 (the consumer stack, whose Job pod template the spark-submit Job reuses) and 15
// (Connect on), where each round is:
//   connect  a new pyspark-client process through the printed connectPortForwardCommand, from its
//            start to the checked answer of an aggregation (tests/spark/jobs/connect_client.py)
//   submit   the same aggregation as a spark-submit driver in a Job pod (the consumer stack's own
//            template: client label, RPC secret, driver ports), from the Job's creation to the
//            checked answer the driver prints (pod start, driver JVM, registration, executors)
// The Connect server holds its executors between sessions; that is the point of it.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { median, printTable, spread } from "./report";

const rounds = Number(process.env.BENCH_CONNECT_ROUNDS ?? "3");
if (!Number.isInteger(rounds) || rounds < 1) {
    throw new Error(`BENCH_CONNECT_ROUNDS must be a whole number >= 1, got '${process.env.BENCH_CONNECT_ROUNDS}'`);
}
const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "bench-connect-")), "latency.json");
const root = path.resolve(__dirname, "..");
const r = spawnSync("npx", ["mocha", "--config", ".mocharc.node.json", "--grep", "^the local stack on real nodes (1|2|15)\\. "], {
    cwd: root,
    stdio: ["ignore", "inherit", "inherit"],
    env: { ...process.env, TS_NODE_TRANSPILE_ONLY: "1", BENCH_CONNECT_ROUNDS: String(rounds), BENCH_CONNECT_OUT: out },
});
if (r.status !== 0 || !fs.existsSync(out)) {
    throw new Error(`the node tier's specs 1, 2 and 15 did not complete (exit ${r.status}); no figures`);
}
const latency = JSON.parse(fs.readFileSync(out, "utf8")) as { connect: number[]; submit: number[] };
console.log(`\nfirst-result latency, ${rounds} round(s), seconds: median (min-max)\n`);
printTable([
    ["path", "seconds", "ratio to spark-submit"],
    ["Connect session (port-forward, token)", spread(latency.connect), (median(latency.connect) / median(latency.submit)).toFixed(2) + "x"],
    ["spark-submit in a Job pod", spread(latency.submit), "1.00x"],
]);
