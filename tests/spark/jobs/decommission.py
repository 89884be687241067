"""PySpark job of the decommissioning test (tests/spark/decommission.spec.ts).

Usage: spark-submit decommission.py READY_FILE GO_FILE EXECUTORS [idle|busy]

1. Waits for EXECUTORS executors, then caches an RDD and runs a reduceByKey over it, so
   both cached blocks and shuffle map output lie on every executor.
2. Writes READY_FILE and waits until GO_FILE exists: meanwhile the test decommissions one
   worker. `idle` (default): the driver waits, no task runs. `busy`: the driver starts
   another reduceByKey whose map tasks wait for GO_FILE, so every executor is in the middle
   of a task; each task creates READY_FILE.running/PARTITION when it starts. Once that
   stage is done the driver waits for GO_FILE.after (the test lets the worker leave first).
3. Runs the first actions again and prints KEY=value lines the test asserts on.

Accumulators count how often the source partitions and the shuffle's map side were
computed: a lost cached block or lost shuffle output would be recomputed and raise them.
"""
import json
import os
import sys
import time
from operator import add

from pyspark import SparkContext

N = 20_000
PARTITIONS = 8
KEYS = 50


def main():
    ready_file, go_file, want = sys.argv[1], sys.argv[2], int(sys.argv[3])
    mode = sys.argv[4] if len(sys.argv) > 4 else "idle"
    sc = SparkContext(appName="spark-tests-decommission")
    print(f"APP_ID={sc.applicationId}", flush=True)

    deadline = time.time() + 90
    # getExecutorMemoryStatus lists block managers: the driver's plus one per executor.
    while sc._jsc.sc().getExecutorMemoryStatus().size() < want + 1:
        if time.time() > deadline:
            raise SystemExit(f"only {sc._jsc.sc().getExecutorMemoryStatus().size() - 1} executors")
        time.sleep(0.25)

    computed = sc.accumulator(0)
    mapped = sc.accumulator(0)

    def source(_index, it):
        # Slow enough that both executors (1 core each) get partitions.
        time.sleep(0.3)
        for x in it:
            computed.add(1)
            yield x

    def keyed(x):
        mapped.add(1)
        return (x % KEYS, x)

    base = sc.parallelize(range(N), PARTITIONS).mapPartitionsWithIndex(source).cache()
    summed = base.map(keyed).reduceByKey(add, 4)

    expected_total = N * (N - 1) // 2
    expected_sums = {k: sum(range(k, N, KEYS)) for k in range(KEYS)}

    before_count = base.count()
    before_sums = dict(summed.collect())
    print(f"BEFORE_COUNT={before_count}", flush=True)
    print(f"BEFORE_OK={before_sums == expected_sums}", flush=True)
    print(f"BEFORE_COMPUTED={computed.value} BEFORE_MAPPED={mapped.value}", flush=True)

    running_dir = ready_file + ".running"
    os.makedirs(running_dir, exist_ok=True)
    with open(ready_file + ".tmp", "w") as f:
        json.dump({"computed": computed.value, "mapped": mapped.value}, f)
    os.rename(ready_file + ".tmp", ready_file)
    print("READY", flush=True)

    def wait_for(path):
        deadline = time.time() + 240
        while not os.path.exists(path):
            if time.time() > deadline:
                raise RuntimeError(f"no {path}")
            time.sleep(0.1)

    if mode == "busy":
        busy = sc.accumulator(0)

        def gated(index, it):
            open(os.path.join(running_dir, str(index)), "w").close()
            wait_for(go_file)
            for x in it:
                busy.add(1)
                yield (x % KEYS, x)

        busy_sums = dict(base.mapPartitionsWithIndex(gated).reduceByKey(add, 4).collect())
        print(f"BUSY_OK={busy_sums == expected_sums} BUSY_MAPPED={busy.value}", flush=True)
        wait_for(go_file + ".after")
    else:
        wait_for(go_file)
    print("GO", flush=True)

    after_sums = dict(summed.collect())  # reads the shuffle output written before
    after_total = base.sum()  # reads the cached blocks
    after_count = base.count()
    print(f"AFTER_OK={after_sums == expected_sums}", flush=True)
    print(f"AFTER_TOTAL={after_total} EXPECTED_TOTAL={expected_total}", flush=True)
    print(f"AFTER_COUNT={after_count}", flush=True)
    print(f"AFTER_COMPUTED={computed.value} AFTER_MAPPED={mapped.value}", flush=True)
    alive = sc._jsc.sc().getExecutorMemoryStatus().size() - 1
    print(f"AFTER_EXECUTORS={alive}", flush=True)
    sc.stop()


if __name__ == "__main__":
    main()
