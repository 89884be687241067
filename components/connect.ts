// Pure builders for a cluster's Spark Connect server: a driver on the cluster (the image's
// `connect` role) that thin clients (PyPI pyspark-client, no JVM) reach over gRPC on 15002,
// always with a token and, through the Service, always with TLS. SparkCluster wires them into
// resources; unit tests check them directly.
//
// TLS: pyspark-client switches to TLS whenever it sends a token to a host other than
// `localhost`, and Spark's server has no TLS of its own. So the server listens on its pod's
// loopback only (15003, plain), and a second container, the image's `connect-tls` role (a small
// Python TLS terminator, ALPN h2), takes 15002 with a certificate the stack generates once
// (components/x509.ts) for the Service's DNS names. Clients trust the published CA. The
// laptop's port-forward targets the plain loopback port: kubectl dials the pod's loopback, so
// the tunnel (itself TLS to the API server) carries plain gRPC to `sc://localhost:15002`.
//
// The token lives in a Secret of its own, mounted as a file; the entrypoint reads it into the
// server process's environment (SPARK_CONNECT_AUTHENTICATE_TOKEN), so it is in no pod spec,
// env value, argv or output. Executors on the workers connect back to the server's pod IP
// (it is one of the cluster's own pods, which the NetworkPolicy lets in on every port).
import * as k8s from "@pulumi/kubernetes";
import {
    AUTH_DIR,
    authEnv,
    CONNECT_TLS_PROXY,
    ContainerInputs,
    connectTlsSecretName,
    connectTokenSecretName,
    containerSecurity,
    ENTRYPOINT,
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

export { connectTlsSecretName, connectTokenSecretName, CONNECT_TLS_PROXY };

type Container = k8s.types.input.core.v1.Container;

export const CONNECT_PORT = PORTS.connect;
export const CONNECT_UI_PORT = PORTS.connectUi;
/** The server's plain gRPC port, bound to its pod's loopback: the TLS proxy and port-forwards reach it. */
export const CONNECT_PLAIN_PORT = PORTS.connectPlain;
/** Where the TLS Secret is mounted in the proxy (tls.crt, tls.key). */
export const CONNECT_TLS_DIR = "/etc/spark/connect-tls";
/** The key of the CA certificate, in the TLS Secret and the CA ConfigMap. */
export const CONNECT_CA_KEY = "ca.crt";
/** The generated certificates' validity; the Secret keeps the first ones (rotation: docs/connect.md). */
export const CONNECT_TLS_DAYS = 3650;
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

/** The ConfigMap holding only the CA certificate (key `ca.crt`): what client pods mount to trust the server. */
export function connectCaConfigMapName(cluster: ClusterConfig): string {
    return `${cluster.name}-connect-ca`;
}

/** The names the server's certificate is valid for: the Service's DNS names, short to fully qualified. */
export function connectTlsHosts(cluster: ClusterConfig): string[] {
    const svc = connectServiceName(cluster);
    return [svc, `${svc}.${cluster.namespace}`, `${svc}.${cluster.namespace}.svc`, `${svc}.${cluster.namespace}.svc.${CLUSTER_DOMAIN}`];
}

/** `sc://<cluster>-connect.<namespace>.svc.cluster.local:15002`, without the token (clients append `/;token=...`). */
export function connectUrl(cluster: ClusterConfig): string {
    return `sc://${connectServiceName(cluster)}.${cluster.namespace}.svc.${CLUSTER_DOMAIN}:${CONNECT_PORT}`;
}

/**
 * What a laptop runs to reach the server on `sc://localhost:15002`: a tunnel to the pod's plain
 * loopback port (not the Service: its port is TLS, which a client sending to `localhost` does not speak).
 */
export function connectPortForwardCommand(cluster: ClusterConfig, context?: string): string {
    const ctx = context === undefined ? "" : ` --context ${shellWord(context)}`;
    return `kubectl${ctx} -n ${shellWord(cluster.namespace)} port-forward deployment/${shellWord(connectServiceName(cluster))} ${CONNECT_PORT}:${CONNECT_PLAIN_PORT}`;
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
        // Plain gRPC on the pod's loopback only: everything else reaches it through the TLS proxy.
        { name: "SPARK_CONNECT_PORT", value: String(CONNECT_PLAIN_PORT) },
        { name: "SPARK_CONNECT_BIND_ADDRESS", value: "127.0.0.1" },
        { name: "SPARK_CONNECT_MAX_CORES", value: String(c.cores) },
        { name: "SPARK_CONNECT_DRIVER_MEMORY", value: `${connectHeapMiB(serverMemoryMiB(c))}m` },
        // Its executors take what a worker offers: Spark's default of 1g is more than a 1Gi
        // worker offers (544m), and an executor no worker can hold leaves every session waiting.
        { name: "SPARK_CONNECT_EXECUTOR_MEMORY", value: `${workerOfferedMemoryMiB(cluster.workerMemoryMiB)}m` },
        { name: "SPARK_CONNECT_TOKEN_FILE", value: `${CONNECT_TOKEN_DIR}/${CONNECT_TOKEN_KEY}` },
        // The RPC secret, and encryption where the cluster encrypts (it refuses drivers that do not).
        ...authEnv(cluster),
    ];
}

/** The server container's memory: the pod's `memory` less the TLS proxy's share. */
function serverMemoryMiB(c: ConnectConfig): number {
    return c.memoryMiB - CONNECT_TLS_PROXY.memoryMiB;
}

/** `entrypoint.sh ready connect`: the server accepts connections on its loopback port. */
const serverAccepts = { exec: { command: [ENTRYPOINT, "ready", "connect"] } };

/**
 * The server's container: the image's `connect` role, the pod's size less the TLS proxy's, probed
 * on its loopback port (an exec probe: the kubelet's TCP probes dial the pod's address).
 */
export function connectContainer(cluster: ClusterConfig, inputs: ContainerInputs): Container {
    const c = connectOf(cluster);
    return {
        name: "spark-connect",
        image: inputs.image,
        imagePullPolicy: inputs.imagePullPolicy,
        args: ["connect"],
        env: connectEnv(cluster),
        ports: [{ name: "http", containerPort: CONNECT_UI_PORT, protocol: "TCP" }],
        resources: resources(
            `${c.serverCores * 1000 - CONNECT_TLS_PROXY.milliCores}m`,
            `${serverMemoryMiB(c)}Mi`,
            scratchMiB(cluster, "connect").total,
        ),
        // A driver registers with the master and starts its session before it listens.
        startupProbe: { ...serverAccepts, periodSeconds: 2, failureThreshold: 90, timeoutSeconds: 5 },
        readinessProbe: { ...serverAccepts, periodSeconds: 5, failureThreshold: 3, timeoutSeconds: 5 },
        livenessProbe: { ...serverAccepts, periodSeconds: 10, failureThreshold: 3, timeoutSeconds: 5 },
        securityContext: containerSecurity,
        volumeMounts: [
            { name: "work", mountPath: WORK_DIR },
            { name: "tmp", mountPath: "/tmp" },
            { name: "connect-token", mountPath: CONNECT_TOKEN_DIR, readOnly: true },
            ...(cluster.rpcAuth ? [{ name: "rpc-auth", mountPath: AUTH_DIR, readOnly: true }] : []),
        ],
    };
}

/**
 * The TLS proxy beside the server: the image's `connect-tls` role on 15002, forwarding to the
 * server's loopback port. It mounts the certificate and key; the server container does not.
 */
export function connectTlsContainer(cluster: ClusterConfig, inputs: ContainerInputs): Container {
    connectOf(cluster);
    const grpc = { tcpSocket: { port: "grpc" } };
    return {
        name: "connect-tls",
        image: inputs.image,
        imagePullPolicy: inputs.imagePullPolicy,
        args: ["connect-tls"],
        env: [
            { name: "SPARK_CONNECT_TLS_PORT", value: String(CONNECT_PORT) },
            { name: "SPARK_CONNECT_PORT", value: String(CONNECT_PLAIN_PORT) },
            { name: "SPARK_CONNECT_TLS_DIR", value: CONNECT_TLS_DIR },
        ],
        ports: [{ name: "grpc", containerPort: CONNECT_PORT, protocol: "TCP" }],
        resources: resources(`${CONNECT_TLS_PROXY.milliCores}m`, `${CONNECT_TLS_PROXY.memoryMiB}Mi`, CONNECT_TLS_PROXY.ephemeralMiB),
        // Ready once it listens; the pod is Ready only when the server is too (its own probe).
        readinessProbe: { ...grpc, periodSeconds: 5, failureThreshold: 3, timeoutSeconds: 2 },
        livenessProbe: { ...grpc, periodSeconds: 10, failureThreshold: 3, timeoutSeconds: 5 },
        securityContext: containerSecurity,
        volumeMounts: [{ name: "connect-tls", mountPath: CONNECT_TLS_DIR, readOnly: true }],
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
