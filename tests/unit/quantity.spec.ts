import * as assert from "assert";
import { masterHeapMiB, parseMemoryMiB, SPARK_MIN_EXECUTOR_MIB, workerOfferedMemoryMiB } from "../../components/quantity";

describe("memory quantities", () => {
    it("parses binary and decimal Kubernetes quantities to MiB", () => {
        assert.strictEqual(parseMemoryMiB("1Gi"), 1024);
        assert.strictEqual(parseMemoryMiB("1536Mi"), 1536);
        assert.strictEqual(parseMemoryMiB("2G"), 1907);
        assert.strictEqual(parseMemoryMiB("1048576Ki"), 1024);
        assert.strictEqual(parseMemoryMiB("1073741824"), 1024);
        assert.strictEqual(parseMemoryMiB("1Ti"), 1024 * 1024);
    });

    it("rejects what Kubernetes or Spark would not take", () => {
        for (const bad of ["", "1GB", "1.5Gi", "-1Gi", "Gi", "1 Gi", "1gi", "1e9"]) {
            assert.strictEqual(parseMemoryMiB(bad), undefined, bad);
        }
    });

    it("offers Spark the worker limit net of both JVMs' overhead", () => {
        assert.deepStrictEqual([1024, 2048, 4096, 12288].map(workerOfferedMemoryMiB), [544, 1568, 3432, 10880]);
        // The smallest allowed worker still fits an executor of Spark's minimum size.
        assert.ok(workerOfferedMemoryMiB(1024) >= SPARK_MIN_EXECUTOR_MIB);
        for (let mib = 1024; mib <= 65536; mib += 512) {
            assert.ok(workerOfferedMemoryMiB(mib) < mib - 320, `${mib}`);
        }
    });

    it("gives the master three quarters of its container as heap, at least 256 MiB", () => {
        assert.strictEqual(masterHeapMiB(1024), 768);
        assert.strictEqual(masterHeapMiB(512), 384);
        assert.strictEqual(masterHeapMiB(4096), 3072);
        assert.strictEqual(masterHeapMiB(300), 256);
    });
});
