// Pure builders for the example's objects: a ConfigMap holding a small PySpark job and a
// batch/v1 Job that runs it with spark-submit (the image's `submit` role) in client mode.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

type Input<T> = pulumi.Input<T>;

/** Pods with this label are Spark clients: the cluster's NetworkPolicy lets them reach the master. */
export const CLIENT_LABEL = "spark-on-k8s/client";
/** The Spark image's non-root user (images/spark/Dockerfile). */
export const SPARK_UID = 185;
/** Where the Spark cluster's RPC secret is mounted; the image's entrypoint reads it from there. */
export const AUTH_FILE = "/etc/spark/auth/secret";
/** Where the ConfigMap with the job's script is mounted. */
export const JOB_DIR = "/opt/spark-job";
/** Where the cluster's event-log claim is mounted (the same path as in its workers). */
export const EVENT_LOG_DIR = "/opt/spark/events";
export const SCRIPT = "pi.py";
/**
 * Fixed driver ports, so what executors connect back to is declared (and a NetworkPolicy can
 * name it): the driver's RPC endpoint and its block manager.
 */
export const DRIVER_PORTS = { rpc: 7079, blockManager: 7080 } as const;
/** The driver's heap; the container gets twice that (JVM overhead plus the Python process). */
export const DRIVER_MEMORY = "512m";
const CONTAINER_RESOURCES = { cpu: "1", memory: "1Gi" };

/** Estimates pi with a Monte Carlo sum over `partitions` tasks; prints `PI=<value>`. */
export const PI_SCRIPT = `"""Estimates pi on the Spark cluster (examples/spark-job of spark-on-k8s)."""
import random
import sys
from operator import add

from pyspark.sql import SparkSession

partitions = int(sys.argv[1]) if len(sys.argv) > 1 else 2
n = 100000 * partitions
spark = SparkSession.builder.appName("spark-pi").getOrCreate()


def inside(_):
    x = random.random() * 2 - 1
    y = random.random() * 2 - 1
    return 1 if x * x + y * y <= 1 else 0


count = spark.sparkContext.parallelize(range(n), partitions).map(inside).reduce(add)
# Flushed now, not at exit: spark-submit copies this process's output into its own, and the last
# bytes written after spark.stop() can be lost when the JVM exits first.
print(f"PI={4.0 * count / n}", flush=True)
spark.stop()
`;

export interface SparkJobSettings {
    /** `spark://host:7077` of the cluster (the Spark stack's `masterUrl` output). */
    masterUrl: Input<string>;
    /** Heap per executor, e.g. `512m`. */
    executorMemory: string;
    /** Cores the job takes from the cluster in total. */
    totalExecutorCores: number;
    /** Tasks of the pi estimation. */
    partitions: number;
}

/** Labels of the Job and its pod; the client label is what the Spark cluster admits. */
export function jobLabels(): Record<string, string> {
    return {
        "app.kubernetes.io/name": "spark-pi",
        "app.kubernetes.io/part-of": "spark-on-k8s",
        "app.kubernetes.io/managed-by": "pulumi",
        [CLIENT_LABEL]: "true",
    };
}

/**
 * Arguments of the image's entrypoint: `submit` hands the rest to spark-submit. The driver runs in
 * this pod (client mode) and must be reachable by executors on the workers: it binds every
 * interface and advertises its pod IP, which Kubernetes substitutes for `$(POD_IP)`.
 */
export function submitArgs(s: SparkJobSettings): Input<string>[] {
    return [
        "submit",
        "--master",
        s.masterUrl,
        "--deploy-mode",
        "client",
        "--name",
        "spark-pi",
        "--conf",
        "spark.driver.host=$(POD_IP)",
        "--conf",
        "spark.driver.bindAddress=0.0.0.0",
        "--conf",
        `spark.driver.port=${DRIVER_PORTS.rpc}`,
        "--conf",
        `spark.driver.blockManager.port=${DRIVER_PORTS.blockManager}`,
        "--conf",
        "spark.ui.enabled=false",
        "--driver-memory",
        DRIVER_MEMORY,
        "--executor-memory",
        s.executorMemory,
        "--total-executor-cores",
        String(s.totalExecutorCores),
        `${JOB_DIR}/${SCRIPT}`,
        String(s.partitions),
    ];
}

const securityContext = {
    runAsNonRoot: true,
    runAsUser: SPARK_UID,
    runAsGroup: SPARK_UID,
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ["ALL"] },
    seccompProfile: { type: "RuntimeDefault" },
};

/**
 * Findings of the IaC scanner (checkov) accepted for this Job, with the reason, as annotations
 * checkov reads (`checkov.io/skip<N>: <check>=<reason>`): the repository's validate tier scans
 * this example too. The image's digest findings only apply to tag references.
 */
export function scannerAnnotations(image: string): Record<string, string> {
    const skips = [
        "CKV_K8S_40=UID 185 is the fixed non-root user of the Spark image the cluster runs",
        "CKV2_K8S_6=a client pod: the Spark cluster's NetworkPolicy admits it by its client label, and it must accept executors' connections",
    ];
    if (!/@sha256:[0-9a-f]{64}$/.test(image)) {
        skips.push(
            "CKV_K8S_43=the image is the Spark stack's own reference: a registry digest where it has a registry, else a content-hash tag",
            "CKV_K8S_15=IfNotPresent like the Spark cluster: tags are unique per image content and minikube's images exist only in its Docker daemon",
        );
    }
    return Object.fromEntries(skips.map((skip, i) => [`checkov.io/skip${i + 1}`, skip]));
}

/**
 * The Job: one pod, no retries of a failed run (a Spark job that failed once fails again), a
 * deadline, requests = limits, non-root with a read-only root filesystem, no API token.
 */
/**
 * What the driver takes from the cluster's outputs. With RPC authentication on
 * (`rpcAuthSecretName`), it mounts that Secret and the entrypoint's `submit` role reads it from
 * SPARK_AUTH_SECRET_FILE; where the cluster encrypts (`networkCrypto`), SPARK_NETWORK_CRYPTO
 * makes the driver and its executors encrypt too (the cluster refuses them otherwise). With the
 * History Server on (`eventLogClaimName`), it mounts the event-log claim and the `submit` role
 * turns on spark.eventLog for SPARK_EVENT_LOG_DIR.
 */
function clusterVolumes([secretName, eventLogClaim, networkCrypto]: [string | undefined, string | undefined, boolean | undefined]) {
    const auth = secretName
        ? {
              env: [
                  { name: "SPARK_AUTH_SECRET_FILE", value: AUTH_FILE },
                  ...(networkCrypto ? [{ name: "SPARK_NETWORK_CRYPTO", value: "true" }] : []),
              ],
              mounts: [{ name: "rpc-auth", mountPath: AUTH_FILE.replace(/\/[^/]+$/, ""), readOnly: true }],
              volumes: [{ name: "rpc-auth", secret: { secretName, defaultMode: 0o440 } }],
          }
        : { env: [], mounts: [], volumes: [] };
    if (!eventLogClaim) {
        return auth;
    }
    return {
        env: [...auth.env, { name: "SPARK_EVENT_LOG_DIR", value: EVENT_LOG_DIR }],
        mounts: [...auth.mounts, { name: "event-logs", mountPath: EVENT_LOG_DIR }],
        volumes: [...auth.volumes, { name: "event-logs", persistentVolumeClaim: { claimName: eventLogClaim } }],
    };
}

export function jobSpec(
    s: SparkJobSettings & {
        image: Input<string>;
        scriptConfigMap: Input<string>;
        authSecretName?: Input<string | undefined>;
        eventLogClaimName?: Input<string | undefined>;
        /** The cluster's `networkCrypto` output. */
        networkCrypto?: Input<boolean | undefined>;
    },
): k8s.types.input.batch.v1.JobSpec {
    const auth = pulumi.all([s.authSecretName, s.eventLogClaimName, s.networkCrypto]).apply(clusterVolumes);
    return {
        backoffLimit: 0,
        activeDeadlineSeconds: 900,
        template: {
            metadata: { labels: jobLabels() },
            spec: {
                restartPolicy: "Never",
                automountServiceAccountToken: false,
                enableServiceLinks: false,
                securityContext: {
                    runAsNonRoot: true,
                    runAsUser: SPARK_UID,
                    runAsGroup: SPARK_UID,
                    // Group-readable mounts (the RPC secret) are readable by the image's group.
                    fsGroup: SPARK_UID,
                    seccompProfile: { type: "RuntimeDefault" },
                },
                containers: [
                    {
                        name: "spark-submit",
                        image: s.image,
                        imagePullPolicy: "IfNotPresent",
                        args: submitArgs(s),
                        env: auth.apply((a) => [{ name: "POD_IP", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } }, ...a.env]),
                        ports: [
                            { name: "driver-rpc", containerPort: DRIVER_PORTS.rpc, protocol: "TCP" },
                            { name: "driver-blocks", containerPort: DRIVER_PORTS.blockManager, protocol: "TCP" },
                        ],
                        resources: { requests: CONTAINER_RESOURCES, limits: CONTAINER_RESOURCES },
                        securityContext,
                        // Spark's scratch space (spark.local.dir) and the working directory.
                        workingDir: "/tmp",
                        volumeMounts: auth.apply((a) => [
                            { name: "job", mountPath: JOB_DIR, readOnly: true },
                            { name: "tmp", mountPath: "/tmp" },
                            ...a.mounts,
                        ]),
                    },
                ],
                volumes: auth.apply((a) => [
                    { name: "job", configMap: { name: s.scriptConfigMap } },
                    { name: "tmp", emptyDir: {} },
                    ...a.volumes,
                ]),
            },
        },
    };
}
