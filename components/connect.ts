// Pure builders for a cluster's Spark Connect server: a driver on the cluster (the image's
// `connect` role) that thin clients (PyPI pyspark-client, no JVM) reach over gRPC on 15002,
// always with a token. SparkCluster wires them into resources; unit tests check them directly.
//
// The token lives in a Secret of its own, mounted as a file; the entrypoint reads it into the
// server process's environment (SPARK_CONNECT_AUTHENTICATE_TOKEN), so it is in no pod spec,
// env value, argv or output. Executors on the workers connect back to the server's pod IP
// (it is one of the cluster's own pods, which the NetworkPolicy lets in on every port).
import * as k8s from "@pulumi/kubernetes";
import {
    AUTH_DIR,
    authEnv,
    ContainerInputs,
    connectTokenSecretName,
    containerSecurity,
    masterUrl,
    PORTS,
    resources,
    scratchMiB,
    selectorLabels,
    shellWord,
    WORK_DIR,
} from "./clusterSpec";
import { ClusterConfig, ConnectConfig } from "./config";
import { connectHeapMiB, workerOfferedMemoryMiB } from "./quantity";

export { connectTokenSecretName };

type Container = k8s.types.input.core.v1.Container;

export const CONNECT_PORT = PORTS.connect;
export const CONNECT_UI_PORT = PORTS.connectUi;
/** Where the token Secret is mounted; the entrypoint reads SPARK_CONNECT_TOKEN_FILE. */
export const CONNECT_TOKEN_DIR = "/etc/spark/connect";
export const CONNECT_TOKEN_KEY = "token";
/** The application name the master lists for the server. */
export const CONNECT_APP_NAME = "Spark Connect server";
const CLUSTER_DOMAIN = "cluster.local";

/** The cluster's Connect settings; throws when Connect is off (callers check first). */
export function connectOf(cluster: ClusterConfig): ConnectConfig {
    if (cluster.connect === undefined) {
        throw new Error(`cluster ${cluster.name} has no Connect server`);
    }
    return cluster.connect;
}

export function connectServiceName(cluster: ClusterConfig): string {
    return `${cluster.name}-connect`;
}

/** `sc://<cluster>-connect.<namespace>.svc.cluster.local:15002`, without the token (clients append `/;token=...`). */
export function connectUrl(cluster: ClusterConfig): string {
    return `sc://${connectServiceName(cluster)}.${cluster.namespace}.svc.${CLUSTER_DOMAIN}:${CONNECT_PORT}`;
}

/** What a laptop runs to reach the server on `sc://localhost:15002` (plain gRPC inside the tunnel). */
export function connectPortForwardCommand(cluster: ClusterConfig, context?: string): string {
    const ctx = context === undefined ? "" : ` --context ${shellWord(context)}`;
    return `kubectl${ctx} -n ${shellWord(cluster.namespace)} port-forward svc/${shellWord(connectServiceName(cluster))} ${CONNECT_PORT}:${CONNECT_PORT}`;
}

/** Labels of the server's pods: the cluster's own (so executors and the master treat it as one of theirs) plus its component. */
export function connectSelectorLabels(cluster: ClusterConfig): Record<string, string> {
    return selectorLabels(cluster.name, "connect");
}

/** Environment of the server: the master, its cap and heap, and the token's file (never the token). */
export function connectEnv(cluster: ClusterConfig): k8s.types.input.core.v1.EnvVar[] {
    const c = connectOf(cluster);
    return [
        // The driver binds and advertises its pod IP: executors on the workers connect back to
        // it. Without SPARK_LOCAL_HOSTNAME it advertises the pod's hostname, which no DNS
        // resolves (found on the node tier: executors never reached the server).
        { name: "SPARK_LOCAL_IP", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } },
        { name: "SPARK_LOCAL_HOSTNAME", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } },
        { name: "SPARK_MASTER_URL", value: masterUrl(cluster) },
        { name: "SPARK_CONNECT_PORT", value: String(CONNECT_PORT) },
        { name: "SPARK_CONNECT_MAX_CORES", value: String(c.cores) },
        { name: "SPARK_CONNECT_DRIVER_MEMORY", value: `${connectHeapMiB(c.memoryMiB)}m` },
        // Its executors take what a worker offers: Spark's default of 1g is more than a 1Gi
        // worker offers (544m), and an executor no worker can hold leaves every session waiting.
        { name: "SPARK_CONNECT_EXECUTOR_MEMORY", value: `${workerOfferedMemoryMiB(cluster.workerMemoryMiB)}m` },
        { name: "SPARK_CONNECT_TOKEN_FILE", value: `${CONNECT_TOKEN_DIR}/${CONNECT_TOKEN_KEY}` },
        // The RPC secret, and encryption where the cluster encrypts (it refuses drivers that do not).
        ...authEnv(cluster),
    ];
}

/** The server's container: the image's `connect` role, its size, a TCP probe on the gRPC port. */
export function connectContainer(cluster: ClusterConfig, inputs: ContainerInputs): Container {
    const c = connectOf(cluster);
    const grpc = { tcpSocket: { port: "grpc" } };
    return {
        name: "spark-connect",
        image: inputs.image,
        imagePullPolicy: inputs.imagePullPolicy,
        args: ["connect"],
        env: connectEnv(cluster),
        ports: [
            { name: "grpc", containerPort: CONNECT_PORT, protocol: "TCP" },
            { name: "http", containerPort: CONNECT_UI_PORT, protocol: "TCP" },
        ],
        resources: resources(c.serverCores, c.memory, scratchMiB(cluster, "connect").total),
        // A driver registers with the master and starts its session before it listens.
        startupProbe: { ...grpc, periodSeconds: 2, failureThreshold: 90, timeoutSeconds: 2 },
        readinessProbe: { ...grpc, periodSeconds: 5, failureThreshold: 3, timeoutSeconds: 2 },
        livenessProbe: { ...grpc, periodSeconds: 10, failureThreshold: 3, timeoutSeconds: 5 },
        securityContext: containerSecurity,
        volumeMounts: [
            { name: "work", mountPath: WORK_DIR },
            { name: "tmp", mountPath: "/tmp" },
            { name: "connect-token", mountPath: CONNECT_TOKEN_DIR, readOnly: true },
            ...(cluster.rpcAuth ? [{ name: "rpc-auth", mountPath: AUTH_DIR, readOnly: true }] : []),
        ],
    };
}

/** The Service on 15002 (ClusterIP; the opt-in internal load balancer is a Service of its own). */
export function connectServiceSpec(
    cluster: ClusterConfig,
    type: "ClusterIP" | "LoadBalancer" = "ClusterIP",
): k8s.types.input.core.v1.ServiceSpec {
    return {
        type,
        selector: connectSelectorLabels(cluster),
        ports: [{ name: "grpc", port: CONNECT_PORT, targetPort: "grpc", protocol: "TCP" }],
    };
}
