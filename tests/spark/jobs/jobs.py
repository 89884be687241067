"""PySpark jobs the runtime tests submit. Prints KEY=value lines the tests assert on.

Usage: spark-submit jobs.py talk            the talk's job: parallelize([1,2,4,4]).count()
       spark-submit jobs.py spread N        the talk's job, then a larger one once N
                                            executors are up, reporting where tasks ran
       spark-submit jobs.py shuffle N MARKER  once N executors are up, rows holding MARKER
                                            shuffled between them (uncompressed, so the
                                            marker is on the wire unless Spark encrypts)
       spark-submit jobs.py dfshuffle N ROWS   once N executors are up, ROWS rows of 64
                                            random hex characters shuffled by the JVM
                                            (no Python in the tasks); prints its seconds
       spark-submit jobs.py slow TASKS SECONDS  TASKS tasks of SECONDS each (a job that is
                                            still running when a test breaks something),
                                            then a second, short job
       spark-submit jobs.py idle FLAG        the talk's job, then idle (executors kept, no job)
                                            until the file FLAG exists, then another job
"""
import json
import os
import sys
import time

from pyspark import SparkContext


def report(key, value):
    # One write per line: the driver's JVM logs to the same file, and print() writes the text
    # and its newline separately, so a log line could land between them.
    sys.stdout.write(f"{key}={value}\n")
    sys.stdout.flush()


def where(_):
    # An executor's working directory is <worker dir>/<app id>/<executor id>, and its
    # Python workers inherit it: it names the worker and executor that ran the task.
    time.sleep(0.05)
    return os.getcwd()


def main():
    mode = sys.argv[1] if len(sys.argv) > 1 else "talk"
    sc = SparkContext(appName=f"spark-tests-{mode}")
    report("APP_ID", sc.applicationId)
    report("TALK_COUNT", sc.parallelize([1, 2, 4, 4]).count())
    if mode in ("spread", "shuffle", "dfshuffle"):
        want = int(sys.argv[2])
        deadline = time.time() + 90
        # getExecutorMemoryStatus lists block managers: the driver's plus one per executor.
        while sc._jsc.sc().getExecutorMemoryStatus().size() < want + 1:
            if time.time() > deadline:
                raise SystemExit(f"only {sc._jsc.sc().getExecutorMemoryStatus().size() - 1} executors")
            time.sleep(0.25)
    if mode == "shuffle":
        marker = sys.argv[3]
        rows = sc.parallelize(range(20_000), 8).map(lambda i: (i % 16, f"{marker}-{i}"))
        counts = rows.groupByKey(8).mapValues(lambda vs: sum(1 for v in vs if v.startswith(marker))).collect()
        report("SHUFFLE_ROWS", sum(c for _, c in counts))
    if mode == "dfshuffle":
        from pyspark.sql import SparkSession

        spark = SparkSession(sc)
        rows = int(sys.argv[3])
        df = spark.range(rows, numPartitions=8).selectExpr("id % 997 AS k", "sha2(CAST(id AS STRING), 256) AS v")
        t0 = time.time()
        out = df.repartition(8, "k").groupBy("k").agg({"v": "count"}).collect()
        report("SHUFFLE_SECONDS", f"{time.time() - t0:.3f}")
        report("SHUFFLE_ROWS", sum(r[1] for r in out))
    if mode == "slow":
        tasks, seconds = int(sys.argv[2]), float(sys.argv[3])
        squares = sc.parallelize(range(tasks), tasks).map(lambda i: (time.sleep(seconds), i * i)[1])
        report("SLOW_SUM", squares.sum())
        report("AFTER_COUNT", sc.parallelize(range(100), 4).count())
    if mode == "idle":
        flag = sys.argv[2]
        report("IDLE", "waiting")
        deadline = time.time() + 300
        while not os.path.exists(flag):
            if time.time() > deadline:
                raise SystemExit(f"{flag} never appeared")
            time.sleep(0.2)
        report("IDLE_AFTER_COUNT", sc.parallelize(range(1000), 4).count())
    if mode == "spread":
        rdd = sc.parallelize(range(200_000), 16)
        report("SPREAD_SUM", rdd.map(lambda x: x * x).sum())
        dirs = sorted(set(sc.parallelize(range(64), 16).map(where).collect()))
        report("SPREAD_DIRS", json.dumps(dirs))
    sc.stop()


if __name__ == "__main__":
    main()
