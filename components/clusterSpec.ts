// Pure builders for the Kubernetes objects of one Spark cluster. SparkCluster wires them into
// resources; unit tests check them without Pulumi.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ClusterConfig } from "./config";
import { masterHeapMiB, parseMemoryMiB, WORKER_DAEMON_HEAP_MIB, workerOfferedMemoryMiB } from "./quantity";

type Input<T> = pulumi.Input<T>;
type Container = k8s.types.input.core.v1.Container;
type PodSpec = k8s.types.input.core.v1.PodSpec;

export type Component = "master" | "worker" | "history" | "connect";

export const PORTS = {
    masterRpc: 7077,
    masterWebUi: 8080,
    workerRpc: 7078,
    workerWebUi: 8081,
    historyWebUi: 18080,
    /** Spark Connect's gRPC port, with TLS (components/connect.ts). */
    connect: 15002,
    /** The Connect server's own plain gRPC port, on its pod's loopback only (behind the TLS proxy). */
    connectPlain: 15003,
    /** The Connect server's own Spark UI (a driver's UI). */
    connectUi: 4040,
} as const;

/** Private address ranges: what an internal load balancer forwards from (never the internet). */
export const PRIVATE_RANGES = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"] as const;

/** Name of the Secret holding the token Spark Connect clients send. */
export function connectTokenSecretName(cluster: ClusterConfig): string {
    return `${cluster.name}-connect-token`;
}

/** Name of the kubernetes.io/tls Secret of the Connect server's TLS proxy (its key never leaves it). */
export function connectTlsSecretName(cluster: ClusterConfig): string {
    return `${cluster.name}-connect-tls`;
}

/** The Connect TLS proxy's own share of the server pod (taken from `connect.serverCores` and `connect.memory`). */
export const CONNECT_TLS_PROXY = { milliCores: 100, memoryMiB: 64, ephemeralMiB: 64 } as const;

/** The image's non-root user (images/spark/Dockerfile). */
export const SPARK_UID = 185;
/** Spark's home in the image; the work dir beneath it and /tmp are the only writable paths. */
export const SPARK_HOME = "/opt/spark";
export const WORK_DIR = `${SPARK_HOME}/work`;
const CLUSTER_DOMAIN = "cluster.local";
/** Where the event-log claim is mounted, in the workers, the History Server and clients alike. */
export const EVENT_LOG_DIR = "/opt/spark/events";
/** The History Server's container size (fixed: it only replays event logs). */
export const HISTORY_CORES = 0.5;
export const HISTORY_MEMORY_MIB = 1024;
/** Event logs older than this are deleted by the History Server, so the claim does not fill up. */
export const EVENT_LOG_MAX_AGE = "7d";

/** Labels that select a component's pods. Never include the version: selectors are immutable. */
export function selectorLabels(cluster: string, component: Component): Record<string, string> {
    return {
        "app.kubernetes.io/name": "spark",
        "app.kubernetes.io/instance": cluster,
        "app.kubernetes.io/component": component,
    };
}

/** Labels on every object of a cluster. The version is left to the workloads (see workloadLabels). */
export function commonLabels(cluster: string): Record<string, string> {
    return {
        "app.kubernetes.io/name": "spark",
        "app.kubernetes.io/instance": cluster,
        "app.kubernetes.io/part-of": "spark-on-k8s",
        "app.kubernetes.io/managed-by": "pulumi",
    };
}

/** Labels of a workload and its pods: selector + common + Spark version. */
export function workloadLabels(cluster: ClusterConfig, component: Component): Record<string, string> {
    return {
        ...commonLabels(cluster.name),
        ...selectorLabels(cluster.name, component),
        "app.kubernetes.io/version": cluster.sparkVersion,
    };
}

/**
 * Annotations of a ClusterIP Service whose only backends `pulumi up` already awaits (their
 * Deployments rolled out, the pods Ready by Spark's own state, the workers registered through
 * the master's Service). The Kubernetes provider's Service await proves nothing more, and ends
 * with a fixed 10 s "settle" after the last change to the Service's Endpoints
 * (pulumi-kubernetes, provider/pkg/await/service.go): two thirds of an `up` from empty.
 * LoadBalancer Services keep their await, which is what waits for the address outputs carry.
 */
export const BACKENDS_AWAITED: Record<string, string> = { "pulumi.com/skipAwait": "true" };

export function masterServiceName(cluster: ClusterConfig): string {
    return `${cluster.name}-master`;
}

export function masterHost(cluster: ClusterConfig): string {
    return `${masterServiceName(cluster)}.${cluster.namespace}.svc.${CLUSTER_DOMAIN}`;
}

/** `spark://<service>.<namespace>.svc.cluster.local:7077`, what drivers and workers connect to. */
export function masterUrl(cluster: ClusterConfig): string {
    return `spark://${masterHost(cluster)}:${PORTS.masterRpc}`;
}

export function masterWebUiUrl(cluster: ClusterConfig): string {
    return `http://${masterHost(cluster)}:${PORTS.masterWebUi}`;
}

/** A word for a POSIX shell: as is when it holds only safe characters, else single-quoted. */
export function shellWord(word: string): string {
    return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The command people paste to reach the master UI: every value in it quoted for the shell. */
export function portForwardCommand(cluster: ClusterConfig, context?: string): string {
    const ctx = context === undefined ? "" : ` --context ${shellWord(context)}`;
    return `kubectl${ctx} -n ${cluster.namespace} port-forward svc/${masterServiceName(cluster)} ${PORTS.masterWebUi}:${PORTS.masterWebUi}`;
}

export function historyServiceName(cluster: ClusterConfig): string {
    return `${cluster.name}-history`;
}

/** `http://<cluster>-history.<namespace>.svc.cluster.local:18080`, the History Server's UI and REST API. */
export function historyWebUiUrl(cluster: ClusterConfig): string {
    return `http://${historyServiceName(cluster)}.${cluster.namespace}.svc.${CLUSTER_DOMAIN}:${PORTS.historyWebUi}`;
}

/** The ReadWriteMany claim drivers write event logs to (clients mount it too). */
export function eventLogClaimName(cluster: ClusterConfig): string {
    return `${cluster.name}-event-logs`;
}

/** Spec of the event-log claim. */
export function eventLogClaimSpec(cluster: ClusterConfig): k8s.types.input.core.v1.PersistentVolumeClaimSpec {
    const h = cluster.historyServer;
    if (h === undefined) {
        throw new Error(`cluster ${cluster.name} has no history server`);
    }
    return claimSpec("ReadWriteMany", h);
}

/** A claim of the program's own: the target's default class unless one is configured. */
function claimSpec(
    accessMode: "ReadWriteMany" | "ReadWriteOnce",
    claim: { storageClassName?: string; size: string },
): k8s.types.input.core.v1.PersistentVolumeClaimSpec {
    return {
        accessModes: [accessMode],
        ...(claim.storageClassName === undefined ? {} : { storageClassName: claim.storageClassName }),
        resources: { requests: { storage: claim.size } },
    };
}

/** Where the master's recovery claim is mounted. */
export const RECOVERY_DIR = "/opt/spark/recovery";

/**
 * The master's SPARK_RECOVERY_DIR: one directory per Spark version on the claim, because the
 * state is Java-serialized and another version's master may not read it. A `sparkVersion`
 * upgrade thus starts from an empty state (running applications are lost, as without
 * recovery) instead of a master that cannot start.
 */
export function recoveryDir(cluster: ClusterConfig): string {
    return `${RECOVERY_DIR}/spark-${cluster.sparkVersion}`;
}

/** The master's ReadWriteOnce recovery claim: one master at a time (Recreate) writes it. */
export function recoveryClaimName(cluster: ClusterConfig): string {
    return `${cluster.name}-master-recovery`;
}

/** Spec of the recovery claim. */
export function recoveryClaimSpec(cluster: ClusterConfig): k8s.types.input.core.v1.PersistentVolumeClaimSpec {
    const r = cluster.masterRecovery;
    if (r === undefined) {
        throw new Error(`cluster ${cluster.name} has no master recovery`);
    }
    return claimSpec("ReadWriteOnce", r);
}

/** Where the RPC secret is mounted; the entrypoint reads it from SPARK_AUTH_SECRET_FILE. */
export const AUTH_DIR = "/etc/spark/auth";
export const AUTH_KEY = "secret";

/** Name of the Secret holding a cluster's RPC authentication secret. */
export function authSecretName(cluster: ClusterConfig): string {
    return `${cluster.name}-rpc-auth`;
}

/** Label that lets a client pod (a driver, a spark-submit Job) through the NetworkPolicy. */
export const CLIENT_LABEL = "spark-on-k8s/client";

/**
 * Env that turns on spark.authenticate in the entrypoint, reading the secret from its file
 * (never from env or argv), and with networkCrypto AES encryption of RPC and block transfers
 * with the SASL fallback off (peers that do not encrypt are refused).
 */
export function authEnv(cluster: ClusterConfig): k8s.types.input.core.v1.EnvVar[] {
    if (!cluster.rpcAuth) {
        return [];
    }
    return [
        { name: "SPARK_AUTH_SECRET_FILE", value: `${AUTH_DIR}/${AUTH_KEY}` },
        ...(cluster.networkCrypto ? [{ name: "SPARK_NETWORK_CRYPTO", value: "true" }] : []),
    ];
}

const podIp = { name: "SPARK_LOCAL_IP", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } };

/** Environment of the master container: everything the image's entrypoint reads. */
export function masterEnv(cluster: ClusterConfig): k8s.types.input.core.v1.EnvVar[] {
    return [
        // The master's RPC binds and advertises its pod IP; clients reach it through the Service.
        { name: "SPARK_MASTER_HOST", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } },
        // Its web UI listens on every address of the pod (no SPARK_LOCAL_IP: with it, the UI
        // listened on the pod IP alone and `kubectl port-forward`, which dials the pod's
        // loopback, was refused), and names the pod IP in the links it hands out.
        { name: "SPARK_LOCAL_HOSTNAME", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } },
        { name: "SPARK_MASTER_PORT", value: String(PORTS.masterRpc) },
        { name: "SPARK_MASTER_WEBUI_PORT", value: String(PORTS.masterWebUi) },
        { name: "SPARK_DAEMON_MEMORY", value: `${masterHeapMiB(cluster.masterMemoryMiB)}m` },
        ...(cluster.masterRecovery ? [{ name: "SPARK_RECOVERY_DIR", value: recoveryDir(cluster) }] : []),
        ...authEnv(cluster),
    ];
}

/**
 * Environment of a worker. SPARK_WORKER_CORES/MEMORY mirror the container's limits, so the
 * master's UI shows what the pod really has; memory leaves room for the JVMs' own overhead.
 */
export function workerEnv(cluster: ClusterConfig): k8s.types.input.core.v1.EnvVar[] {
    return [
        podIp,
        // A driver submitted in cluster mode runs in this container and advertises Spark's
        // canonical host name: the pod's name, which no DNS resolves, so its executors would never
        // reach it (seen in the node tier). The pod IP instead, as the worker itself advertises.
        { name: "SPARK_LOCAL_HOSTNAME", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } },
        { name: "SPARK_MASTER_URL", value: masterUrl(cluster) },
        { name: "SPARK_WORKER_CORES", value: String(cluster.workerCores) },
        { name: "SPARK_WORKER_MEMORY", value: `${workerOfferedMemoryMiB(cluster.workerMemoryMiB)}m` },
        { name: "SPARK_WORKER_PORT", value: String(PORTS.workerRpc) },
        { name: "SPARK_WORKER_WEBUI_PORT", value: String(PORTS.workerWebUi) },
        { name: "SPARK_WORKER_DIR", value: WORK_DIR },
        { name: "SPARK_DAEMON_MEMORY", value: `${WORKER_DAEMON_HEAP_MIB}m` },
        // SIGTERM becomes Spark's decommission signal: executors finish or hand off their work first.
        { name: "SPARK_WORKER_DECOMMISSION_TIMEOUT", value: String(cluster.workerDecommissionSeconds) },
        ...authEnv(cluster),
    ];
}

/**
 * Environment of the History Server: it reads (and ages out) the event logs on the claim. The
 * entrypoint turns SPARK_EVENT_LOG_DIR into spark.history.fs.logDirectory.
 */
export function historyEnv(): k8s.types.input.core.v1.EnvVar[] {
    return [
        { name: "SPARK_EVENT_LOG_DIR", value: EVENT_LOG_DIR },
        { name: "SPARK_HISTORY_UI_PORT", value: String(PORTS.historyWebUi) },
        { name: "SPARK_DAEMON_MEMORY", value: `${masterHeapMiB(HISTORY_MEMORY_MIB)}m` },
        {
            name: "SPARK_HISTORY_OPTS",
            value: `-Dspark.history.fs.cleaner.enabled=true -Dspark.history.fs.cleaner.maxAge=${EVENT_LOG_MAX_AGE}`,
        },
    ];
}

/** Room for the decommission, then for the JVM to stop. */
export function workerTerminationGraceSeconds(cluster: ClusterConfig): number {
    return cluster.workerDecommissionSeconds + 30;
}

/**
 * Local disk of each pod, in MiB: its emptyDirs get these sizeLimits, and its container an
 * ephemeral-storage request = limit of their sum plus room for its logs. A worker's /tmp is
 * where Spark spills and writes shuffle files (java.io.tmpdir, Spark's default local dir):
 * it gets `workerScratchSize`. A pod past its limit is evicted alone, instead of a full node
 * disk evicting every pod on the node.
 */
export function scratchMiB(cluster: ClusterConfig, component: Component): { work: number; tmp: number; total: number } {
    // work/: executors' stdout/stderr and the application files they fetch; unused by the others.
    const work = component === "worker" ? 2048 : 256;
    const tmp = component === "worker" ? cluster.workerScratchMiB : 1024;
    return { work, tmp, total: work + tmp + CONTAINER_LOGS_MIB };
}
/** The container's own logs (the root filesystem is read-only, so nothing else). */
const CONTAINER_LOGS_MIB = 512;

/** requests = limits: Guaranteed QoS, so the kubelet never evicts a busy worker first. */
export function resources(cores: number | string, memory: string, ephemeralMiB: number) {
    const r = { cpu: String(cores), memory, "ephemeral-storage": `${ephemeralMiB}Mi` };
    return { requests: r, limits: r };
}

/** Where the image keeps its entrypoint (images/spark/Dockerfile); probes run it directly. */
export const ENTRYPOINT = "/opt/entrypoint.sh";

/**
 * Liveness and readiness ask different questions. Liveness: the process is not wedged (its UI
 * answers; generous, so a daemon busy in a long GC is not restarted). Readiness: the daemon
 * serves the cluster (`entrypoint.sh ready`: the master ALIVE or recovering, the worker
 * registered with a master, the History Server answering its REST API), so a rolling update
 * takes the next worker down only once the new one is usable.
 */
function probes(component: Exclude<Component, "connect">) {
    const http = { path: "/", port: "http" };
    return {
        // JVM start-up takes seconds; the startup probe holds the others off until then.
        startupProbe: { httpGet: http, periodSeconds: 2, failureThreshold: 60, timeoutSeconds: 2 },
        readinessProbe: { exec: { command: [ENTRYPOINT, "ready", component] }, periodSeconds: 5, failureThreshold: 2, timeoutSeconds: 5 },
        livenessProbe: { httpGet: http, periodSeconds: 10, failureThreshold: 6, timeoutSeconds: 5 },
    };
}

export const containerSecurity = {
    runAsNonRoot: true,
    runAsUser: SPARK_UID,
    runAsGroup: SPARK_UID,
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ["ALL"] },
    seccompProfile: { type: "RuntimeDefault" },
};

function volumeMounts(cluster: ClusterConfig, component: Exclude<Component, "connect">): k8s.types.input.core.v1.VolumeMount[] {
    if (component === "history") {
        // No RPC: the History Server only reads event logs (and deletes expired ones).
        return [
            { name: "tmp", mountPath: "/tmp" },
            { name: "event-logs", mountPath: EVENT_LOG_DIR },
        ];
    }
    return [
        { name: "work", mountPath: WORK_DIR },
        { name: "tmp", mountPath: "/tmp" },
        ...(cluster.rpcAuth ? [{ name: "rpc-auth", mountPath: AUTH_DIR, readOnly: true }] : []),
        // Drivers submitted in cluster mode run inside a worker and write their event log here.
        // The master writes none (Spark's standalone master no longer replays applications).
        ...(component === "worker" && cluster.historyServer ? [{ name: "event-logs", mountPath: EVENT_LOG_DIR }] : []),
        ...(component === "master" && cluster.masterRecovery ? [{ name: "recovery", mountPath: RECOVERY_DIR }] : []),
    ];
}

/** Prometheus scrape annotations for the pod templates (Spark's PrometheusServlet, images/spark/conf). */
export function scrapeAnnotations(component: "master" | "worker"): Record<string, string> {
    return {
        "prometheus.io/scrape": "true",
        "prometheus.io/port": String(component === "master" ? PORTS.masterWebUi : PORTS.workerWebUi),
        "prometheus.io/path": "/metrics/prometheus",
    };
}

export interface ContainerInputs {
    image: Input<string>;
    imagePullPolicy: string;
}

/** The one container of a master, worker or History Server pod: the image's role, its env, ports, size and probes. */
export function sparkContainer(cluster: ClusterConfig, component: Exclude<Component, "connect">, inputs: ContainerInputs): Container {
    if (component === "history") {
        return {
            name: "spark-history",
            image: inputs.image,
            imagePullPolicy: inputs.imagePullPolicy,
            args: ["history"],
            env: historyEnv(),
            ports: [{ name: "http", containerPort: PORTS.historyWebUi, protocol: "TCP" }],
            resources: resources(HISTORY_CORES, `${HISTORY_MEMORY_MIB}Mi`, scratchMiB(cluster, "history").total),
            ...probes("history"),
            securityContext: containerSecurity,
            volumeMounts: volumeMounts(cluster, component),
        };
    }
    const master = component === "master";
    return {
        name: `spark-${component}`,
        image: inputs.image,
        imagePullPolicy: inputs.imagePullPolicy,
        args: [component],
        env: master ? masterEnv(cluster) : workerEnv(cluster),
        ports: [
            { name: "rpc", containerPort: master ? PORTS.masterRpc : PORTS.workerRpc, protocol: "TCP" },
            { name: "http", containerPort: master ? PORTS.masterWebUi : PORTS.workerWebUi, protocol: "TCP" },
        ],
        resources: master
            ? resources(cluster.masterCores, cluster.masterMemory, scratchMiB(cluster, "master").total)
            : resources(cluster.workerCores, cluster.workerMemory, scratchMiB(cluster, "worker").total),
        ...probes(component),
        securityContext: containerSecurity,
        volumeMounts: volumeMounts(cluster, component),
    };
}

/**
 * Pod spec shared by master, workers, History Server and Connect server: non-root, no API
 * token, and the volumes its containers mount (scratch space, the RPC secret, the event-log
 * claim, the Connect token and TLS key).
 */
export function podSpec(
    cluster: ClusterConfig,
    component: Component,
    serviceAccountName: Input<string>,
    container: Container | Container[],
    extra: Partial<PodSpec> = {},
): PodSpec {
    const containers = Array.isArray(container) ? container : [container];
    const mounted = new Set(
        containers.flatMap((c) => ((c.volumeMounts ?? []) as k8s.types.input.core.v1.VolumeMount[]).map((m) => m.name)),
    );
    return {
        serviceAccountName,
        automountServiceAccountToken: false,
        enableServiceLinks: false,
        securityContext: {
            runAsNonRoot: true,
            runAsUser: SPARK_UID,
            runAsGroup: SPARK_UID,
            fsGroup: SPARK_UID,
            seccompProfile: { type: "RuntimeDefault" },
        },
        containers,
        volumes: podVolumes(cluster, component).filter((v) => mounted.has(v.name)),
        ...extra,
    };
}

/** Every volume a cluster's pods may mount; each pod gets the ones its container mounts. */
function podVolumes(cluster: ClusterConfig, component: Component): (k8s.types.input.core.v1.Volume & { name: string })[] {
    const scratch = scratchMiB(cluster, component);
    return [
        { name: "work", emptyDir: { sizeLimit: `${scratch.work}Mi` } },
        { name: "tmp", emptyDir: { sizeLimit: `${scratch.tmp}Mi` } },
        // Group-readable for the image's group only (fsGroup), never world-readable.
        ...(cluster.rpcAuth ? [{ name: "rpc-auth", secret: { secretName: authSecretName(cluster), defaultMode: 0o440 } }] : []),
        ...(cluster.historyServer ? [{ name: "event-logs", persistentVolumeClaim: { claimName: eventLogClaimName(cluster) } }] : []),
        ...(cluster.masterRecovery ? [{ name: "recovery", persistentVolumeClaim: { claimName: recoveryClaimName(cluster) } }] : []),
        // The Connect token and the TLS proxy's certificate and key: only the Connect server's pod mounts them.
        ...(cluster.connect
            ? [
                  { name: "connect-token", secret: { secretName: connectTokenSecretName(cluster), defaultMode: 0o440 } },
                  {
                      name: "connect-tls",
                      secret: {
                          secretName: connectTlsSecretName(cluster),
                          defaultMode: 0o440,
                          items: [
                              { key: "tls.crt", path: "tls.crt" },
                              { key: "tls.key", path: "tls.key" },
                          ],
                      },
                  },
              ]
            : []),
    ];
}

/** Spread workers over nodes and zones, best effort, counting only the current rollout's pods. */
export function workerSpread(cluster: ClusterConfig): k8s.types.input.core.v1.TopologySpreadConstraint[] {
    return ["kubernetes.io/hostname", "topology.kubernetes.io/zone"].map((topologyKey) => ({
        maxSkew: 1,
        topologyKey,
        whenUnsatisfiable: "ScheduleAnyway",
        labelSelector: { matchLabels: selectorLabels(cluster.name, "worker") },
        matchLabelKeys: ["pod-template-hash"],
    }));
}

/**
 * Namespace quota. It is sized for maxWorkerReplicas (not workerReplicas, so scaling touches
 * only the worker Deployment), the master, one worker-sized client pod (a spark-submit Job)
 * and the History Server and the Connect server when there is one (its pod's CPU and memory are
 * `connect.serverCores` and `connect.memory`, the TLS proxy's share included).
 */
export function quotaHard(cluster: ClusterConfig, webUiLoadBalancer: boolean): Record<string, string> {
    const workerSlots = cluster.maxWorkerReplicas + 1;
    const history = cluster.historyServer ? 1 : 0;
    const connect = cluster.connect;
    const cpu = cluster.masterCores + cluster.workerCores * workerSlots + HISTORY_CORES * history + (connect?.serverCores ?? 0);
    const memoryMiB =
        cluster.masterMemoryMiB + cluster.workerMemoryMiB * workerSlots + HISTORY_MEMORY_MIB * history + (connect?.memoryMiB ?? 0);
    const diskMiB =
        scratchMiB(cluster, "master").total +
        scratchMiB(cluster, "worker").total * workerSlots +
        scratchMiB(cluster, "history").total * history +
        (connect ? scratchMiB(cluster, "connect").total + CONNECT_TLS_PROXY.ephemeralMiB : 0);
    const loadBalancers = (webUiLoadBalancer ? 1 : 0) + (connect?.loadBalancer === true ? 1 : 0);
    // The claims the program makes (event logs, master recovery); clients bring none.
    const claims = [cluster.historyServer?.size, cluster.masterRecovery?.size].filter((x): x is string => x !== undefined);
    return {
        pods: String(1 + workerSlots + history + (connect ? 1 : 0)),
        "requests.cpu": String(cpu),
        "limits.cpu": String(cpu),
        "requests.memory": `${memoryMiB}Mi`,
        "limits.memory": `${memoryMiB}Mi`,
        "requests.ephemeral-storage": `${diskMiB}Mi`,
        "limits.ephemeral-storage": `${diskMiB}Mi`,
        "services.nodeports": "0",
        // Load balancers cost money and face networks: only the opted-in UI and Connect Services may have one.
        "services.loadbalancers": String(loadBalancers),
        persistentvolumeclaims: String(claims.length),
        "requests.storage": `${claims.reduce((sum, size) => sum + parseMemoryMiB(size)!, 0)}Mi`,
    };
}

/** Defaults for containers that come without resources (clients), capped at the largest Spark container. */
export function limitRangeSpec(cluster: ClusterConfig): k8s.types.input.core.v1.LimitRangeSpec {
    const maxCores = Math.max(cluster.masterCores, cluster.workerCores, cluster.connect?.serverCores ?? 0);
    const maxMemoryMiB = Math.max(cluster.masterMemoryMiB, cluster.workerMemoryMiB, cluster.connect?.memoryMiB ?? 0);
    const maxDiskMiB = scratchMiB(cluster, "worker").total;
    const defaults = { cpu: "1", memory: `${Math.min(1024, maxMemoryMiB)}Mi`, "ephemeral-storage": "1Gi" };
    return {
        limits: [
            {
                type: "Container",
                default: defaults,
                defaultRequest: defaults,
                max: { cpu: String(maxCores), memory: `${maxMemoryMiB}Mi`, "ephemeral-storage": `${maxDiskMiB}Mi` },
            },
        ],
    };
}

/** The labels every Spark pod of the cluster carries (what its NetworkPolicies select and admit). */
export function ownLabels(cluster: ClusterConfig): Record<string, string> {
    return { "app.kubernetes.io/name": "spark", "app.kubernetes.io/instance": cluster.name };
}

/**
 * Ingress of the cluster's Spark pods: the RPC ports (and the executors' random ports) only from
 * this cluster's own pods and from pods labelled as clients in the namespace; the web UIs (and
 * with them the probes and the Prometheus endpoints) from anywhere. Spark Connect's 15002 is
 * reached through the first rule (own pods, client-labelled pods); with its internal load
 * balancer also from private addresses only.
 */
export function networkPolicySpec(cluster: ClusterConfig): k8s.types.input.networking.v1.NetworkPolicySpec {
    const own = ownLabels(cluster);
    return {
        podSelector: { matchLabels: own },
        policyTypes: ["Ingress"],
        ingress: [
            { from: [{ podSelector: { matchLabels: own } }, { podSelector: { matchLabels: { [CLIENT_LABEL]: "true" } } }] },
            {
                ports: [
                    { port: PORTS.masterWebUi, protocol: "TCP" },
                    { port: PORTS.workerWebUi, protocol: "TCP" },
                    ...(cluster.historyServer ? [{ port: PORTS.historyWebUi, protocol: "TCP" }] : []),
                ],
            },
            ...(cluster.connect?.loadBalancer === true
                ? [{ from: PRIVATE_RANGES.map((cidr) => ({ ipBlock: { cidr } })), ports: [{ port: PORTS.connect, protocol: "TCP" }] }]
                : []),
        ],
    };
}
