"""PySpark jobs the runtime tests submit. Prints KEY=value lines the tests assert on.

Usage: spark-submit jobs.py talk            the talk's job: parallelize([1,2,4,4]).count()
       spark-submit jobs.py spread N        the talk's job, then a larger one once N
                                            executors are up, reporting where tasks ran
       spark-submit jobs.py shuffle N MARKER  once N executors are up, rows holding MARKER
                                            shuffled between them (uncompressed, so the
                                            marker is on the wire unless Spark encrypts)
"""
import json
import os
import sys
import time

from pyspark import SparkContext


def where(_):
    # An executor's working directory is <worker dir>/<app id>/<executor id>, and its
    # Python workers inherit it: it names the worker and executor that ran the task.
    time.sleep(0.05)
    return os.getcwd()


def main():
    mode = sys.argv[1] if len(sys.argv) > 1 else "talk"
    sc = SparkContext(appName=f"spark-tests-{mode}")
    print(f"APP_ID={sc.applicationId}", flush=True)
    print(f"TALK_COUNT={sc.parallelize([1, 2, 4, 4]).count()}", flush=True)
    if mode in ("spread", "shuffle"):
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
        print(f"SHUFFLE_ROWS={sum(c for _, c in counts)}", flush=True)
    if mode == "spread":
        rdd = sc.parallelize(range(200_000), 16)
        print(f"SPREAD_SUM={rdd.map(lambda x: x * x).sum()}", flush=True)
        dirs = sorted(set(sc.parallelize(range(64), 16).map(where).collect()))
        print(f"SPREAD_DIRS={json.dumps(dirs)}", flush=True)
    sc.stop()


if __name__ == "__main__":
    main()
