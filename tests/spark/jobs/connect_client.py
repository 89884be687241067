"""Spark Connect thin-client check (pyspark-client, no JVM).

Usage: connect_client.py URL | --batch
  URL  sc://HOST:PORT[/;token=...]; the token may also come from SPARK_CONNECT_TOKEN in
       the environment, or from the file SPARK_CONNECT_TOKEN_FILE names (a mounted Secret),
       appended to URL, so it never shows in argv. gRPC trusts the CA file in
       GRPC_DEFAULT_SSL_ROOTS_FILE_PATH for TLS.
--batch runs the same as a spark-submit driver (full pyspark, the master spark-submit gives),
the way a Job pod runs it, for comparing the two (tests/node spec 15's latency figures).
Runs an aggregation over generated data with a known answer and prints one JSON line:
  {"ok": true, "groups": {...}, "at": <epoch seconds of the answer>} or
  {"ok": false, "error": "<class>: <first line>"}.
Exit status 0 when the job ran and its result is right, 1 when the session or the job
was refused or failed, 3 when the result is wrong.
"""
import json
import os
import sys
import time


def main() -> int:
    url = sys.argv[1]
    token = os.environ.get("SPARK_CONNECT_TOKEN")
    token_file = os.environ.get("SPARK_CONNECT_TOKEN_FILE")
    if not token and token_file:
        with open(token_file, encoding="utf-8") as f:
            token = f.read().strip()
    if token and url != "--batch":
        url = url.rstrip("/") + "/;token=" + token
    from pyspark.sql import SparkSession
    from pyspark.sql import functions as F

    try:
        builder = SparkSession.builder
        spark = (builder if url == "--batch" else builder.remote(url)).getOrCreate()
        rows = (
            spark.range(0, 10000)
            .withColumn("k", F.col("id") % 3)
            .groupBy("k")
            .agg(F.sum("id").alias("s"), F.count("*").alias("n"))
            .collect()
        )
    except Exception as e:  # the refusal is the result here
        text = " ".join(str(e).split())[:600]
        print(json.dumps({"ok": False, "error": f"{type(e).__name__}: {text}"}))
        return 1
    got = {int(r["k"]): [int(r["s"]), int(r["n"])] for r in rows}
    want = {k: [sum(range(k, 10000, 3)), len(range(k, 10000, 3))] for k in range(3)}
    print(json.dumps({"ok": got == want, "groups": got, "at": time.time()}), flush=True)
    spark.stop()
    return 0 if got == want else 3


if __name__ == "__main__":
    sys.exit(main())
