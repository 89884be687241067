// Benchmark (not a test): what encrypting RPC and block transfers (networkCrypto, the
// entrypoint's SPARK_NETWORK_CRYPTO) costs a shuffle-heavy job. Prints a table and the ratio.
//
//   npm run bench:crypto
//
// Env: BENCH_SPARK_VERSION (default: the pinned default), BENCH_RUNS (default 3 jobs per
// case), BENCH_ROWS (default 3000000 rows of 64 hex characters, about 200 MB through the
// shuffle before compression).
//
// Both cases in one run, on the same machine: a master and two workers (1 core, 1g, on
// 127.0.0.2 and 127.0.0.3, as pods have their own IPs) with RPC authentication, one case
// with encryption on. Each job (tests/spark/jobs/jobs.py dfshuffle) repartitions the rows
// across both executors, so about half of the shuffle crosses between the workers; the
// figure is the shuffle action's own time, measured by the driver (JVM start excluded).
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { median, printTable, spread } from "./report";
import { installSpark, JOBS_DIR, pinnedVersions, printedValue, SparkHarness } from "../tooling/spark";

const version = process.env.BENCH_SPARK_VERSION ?? pinnedVersions().SPARK_VERSION_DEFAULT;
const runs = Number(process.env.BENCH_RUNS ?? 3);
const rows = Number(process.env.BENCH_ROWS ?? 3_000_000);

async function runCase(h: SparkHarness, secretFile: string, encrypt: boolean): Promise<number[]> {
    const env = { SPARK_AUTH_SECRET_FILE: secretFile, SPARK_NETWORK_CRYPTO: String(encrypt) };
    const tag = encrypt ? "encrypted" : "auth-only";
    const master = await h.startMaster(`${tag}-master`, { env });
    const workers = [];
    try {
        for (const [i, host] of ["127.0.0.2", "127.0.0.3"].entries()) {
            workers.push(await h.startWorker(master, `${tag}-worker-${i + 1}`, { host, env }));
        }
        await h.waitAliveWorkers(master, 2);
        const seconds: number[] = [];
        for (let run = 1; run <= runs; run++) {
            const job = h.start(
                `${tag}-job-${run}`,
                [
                    "submit",
                    "--conf",
                    "spark.ui.enabled=false",
                    "--executor-memory",
                    "512m",
                    path.join(JOBS_DIR, "jobs.py"),
                    "dfshuffle",
                    "2",
                    String(rows),
                ],
                { env: { ...env, SPARK_MASTER_URL: master.url, SPARK_LOCAL_IP: "127.0.0.4" } },
            );
            const status = await job.waitExit(600_000);
            const s = Number(printedValue(job.output(), "SHUFFLE_SECONDS"));
            if (status?.code !== 0 || Number(printedValue(job.output(), "SHUFFLE_ROWS")) !== rows || !Number.isFinite(s)) {
                throw new Error(`${tag} run ${run} failed (${JSON.stringify(status)}):\n${job.tail(30)}`);
            }
            process.stderr.write(`[bench crypto] ${tag} run ${run}: shuffle ${s.toFixed(1)}s\n`);
            seconds.push(s);
        }
        return seconds;
    } finally {
        await Promise.all([master.proc, ...workers.map((w) => w.proc)].map((p) => p.stop()));
    }
}

async function main(): Promise<void> {
    const h = new SparkHarness(version, installSpark(version), "bench-crypto");
    const secretFile = path.join(h.dir, "auth-secret");
    fs.writeFileSync(secretFile, crypto.randomBytes(24).toString("hex"), { mode: 0o600 });
    let failed = false;
    try {
        // Alternating would mix caches; each case gets its own cluster, auth-only first.
        const plain = await runCase(h, secretFile, false);
        const encrypted = await runCase(h, secretFile, true);
        console.log(`\nSpark ${version}, ${rows} rows through the shuffle, ${runs} runs per case (median (min-max), seconds)\n`);
        printTable([
            ["case", "shuffle action"],
            ["RPC auth only (networkCrypto: false)", spread(plain)],
            ["RPC auth + AES encryption (networkCrypto: true, the default)", spread(encrypted)],
        ]);
        console.log(`\nencrypted / auth only = ${(median(encrypted) / median(plain)).toFixed(2)}`);
    } catch (err) {
        failed = true;
        throw err;
    } finally {
        await h.stopAll(failed);
    }
}

main().catch((err) => {
    console.error(err);
    process.exit(1);
});
