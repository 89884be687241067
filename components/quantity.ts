// Kubernetes memory quantities and the Spark sizes derived from them.
// Pure functions: SparkCluster and the config loader share them, tests call them directly.

const MEMORY_PATTERN = /^([0-9]+)(Ki|Mi|Gi|Ti|k|M|G|T)?$/;

const FACTORS: Record<string, number> = {
    "": 1,
    Ki: 1024,
    Mi: 1024 ** 2,
    Gi: 1024 ** 3,
    Ti: 1024 ** 4,
    k: 1000,
    M: 1000 ** 2,
    G: 1000 ** 3,
    T: 1000 ** 4,
};

/** What a memory setting may look like, for error messages. */
export const MEMORY_FORMAT = "a whole Kubernetes memory quantity such as 1Gi, 1536Mi or 2G";

/**
 * Parses a Kubernetes memory quantity (whole numbers only, binary or decimal suffix) to MiB,
 * rounded down. Returns undefined for anything Kubernetes would reject or Spark could not size.
 */
export function parseMemoryMiB(value: string): number | undefined {
    const match = MEMORY_PATTERN.exec(value);
    if (!match) {
        return undefined;
    }
    const bytes = Number(match[1]) * FACTORS[match[2] ?? ""];
    return Number.isSafeInteger(bytes) ? Math.floor(bytes / 1024 ** 2) : undefined;
}

/** Heap of the worker daemon JVM itself (it only supervises executors). */
export const WORKER_DAEMON_HEAP_MIB = 192;
/** Non-heap memory (metaspace, code cache, threads) of the worker daemon JVM. */
const WORKER_DAEMON_NON_HEAP_MIB = 128;
/** Smallest non-heap allowance kept for the executor JVM that the worker launches. */
const EXECUTOR_MIN_OVERHEAD_MIB = 160;
/** Spark refuses executors with less heap than this (its "system memory" floor is 450 MiB). */
export const SPARK_MIN_EXECUTOR_MIB = 450;
/** The smallest worker container that leaves Spark a usable executor. */
export const MIN_WORKER_MEMORY_MIB = 1024;
/** The smallest master container: a 256 MiB heap plus JVM overhead. */
export const MIN_MASTER_MEMORY_MIB = 512;

/**
 * Memory a worker offers to executors (SPARK_WORKER_MEMORY), in MiB, for a worker container
 * limited to `limitMiB`. The container also holds the worker daemon JVM and each executor's
 * non-heap memory, so offering the whole limit (as the talk did) gets the pod OOM-killed
 * under load. Executor overhead follows Spark-on-Kubernetes' rule: 10%, at least a floor.
 */
export function workerOfferedMemoryMiB(limitMiB: number): number {
    const available = limitMiB - WORKER_DAEMON_HEAP_MIB - WORKER_DAEMON_NON_HEAP_MIB;
    return Math.max(0, Math.min(Math.floor(available / 1.1), available - EXECUTOR_MIN_OVERHEAD_MIB));
}

/** Heap for the master daemon (SPARK_DAEMON_MEMORY): three quarters of its container. */
export function masterHeapMiB(limitMiB: number): number {
    return Math.max(256, Math.floor(limitMiB * 0.75));
}

/** The smallest Connect server container: a heap above Spark's 450 MiB driver floor plus JVM overhead. */
export const MIN_CONNECT_MEMORY_MIB = 768;

/** Heap of the Connect server (its driver): three quarters of its container, as for the master. */
export function connectHeapMiB(limitMiB: number): number {
    return Math.max(SPARK_MIN_EXECUTOR_MIB + 64, Math.floor(limitMiB * 0.75));
}
