// The schema of one Spark cluster's settings: a `clusters` entry, or the flat keys when there is
// no list. The loader merges the flat keys into each entry, so every field is present here.
import { isIP } from "node:net";
import { z } from "zod";
import { DEFAULT_SCRAPE_INTERVAL, DEFAULT_THRESHOLDS as T } from "../monitoring/rules";
import { MIN_CONNECT_MEMORY_MIB, MIN_MASTER_MEMORY_MIB, MIN_WORKER_MEMORY_MIB, parseMemoryMiB } from "../quantity";
import { boolean, jsonText, memory, oneOf, problem, text, wholeNumber } from "./fields";

/** An object whose unknown keys are refused with the keys it has; `notObject` is the message for anything else. */
export function strictObject<S extends z.ZodRawShape>(shape: S, notObject = "must be an object") {
    return z.strictObject(shape, {
        error: (issue) => {
            if (issue.code === "unrecognized_keys") {
                return `unknown key; allowed: ${Object.keys(shape).join(", ")}`;
            }
            return issue.code === "invalid_type" ? notObject : undefined;
        },
    });
}

export const AUTOSCALING_MODES = ["keda", "cpu"] as const;

// CPU is a poor signal for a standalone cluster (components/autoscaling.ts says why), so keda
// mode, which scales on the master's own numbers, is the default.
const autoscalingObject = strictObject(
    {
        mode: oneOf(AUTOSCALING_MODES).default("keda"),
        minReplicas: wholeNumber(0, 10_000, "must be a whole number >= 0").default(1),
        maxReplicas: wholeNumber(1, 10_000, "must be a whole number >= 1 (required)"),
        /** keda: keep this percentage of the workers' cores in use (more in use: scale out). */
        targetCoreUtilization: wholeNumber(1, 100, "must be a whole percentage from 1 to 100").default(80),
        /** keda: workers each application waiting for cores asks for. */
        workersPerWaitingApp: wholeNumber(1, 1000, "must be a whole number from 1 to 1000").default(1),
        /** cpu: the HPA's average CPU utilization target, percent of the request. */
        targetCpuUtilization: wholeNumber(1, 100, "must be a whole percentage from 1 to 100").default(70),
        /** Seconds the autoscaler waits before removing workers (each removal decommissions one). */
        scaleDownStabilizationSeconds: wholeNumber(0, 3600, "must be a whole number of seconds from 0 to 3600").default(300),
        /** Seconds between two worker removals (one at a time, each decommissions first). */
        scaleDownIntervalSeconds: wholeNumber(1, 1800, "must be a whole number of seconds from 1 to 1800").default(60),
        /** keda: how often KEDA reads the master's /json/ (and so how soon a waiting application is seen). */
        pollingIntervalSeconds: wholeNumber(1, 3600, "must be a whole number of seconds from 1 to 3600").default(15),
    },
    "must be an object such as {mode: keda, minReplicas: 1, maxReplicas: 8}",
).superRefine((a, ctx) => {
    // A HorizontalPodAutoscaler cannot scale to zero (without an alpha feature gate); KEDA can.
    if (a.mode === "cpu" && a.minReplicas < 1) {
        problem(ctx, ["minReplicas"], "must be a whole number >= 1 in cpu mode (an HPA cannot scale to zero)");
    }
    if (a.maxReplicas < a.minReplicas) {
        problem(ctx, ["maxReplicas"], `must be at least minReplicas (${a.minReplicas})`, a.maxReplicas);
    }
});

/** Worker autoscaling: an object (JSON text as flat config), or empty for off. */
const autoscaling = z.preprocess((v) => (v === "" || v === null ? undefined : jsonText(v)), autoscalingObject.optional());

export type AutoscalingConfig = z.output<typeof autoscalingObject>;
export type AutoscalingMode = AutoscalingConfig["mode"];

/** Label keys and values as Kubernetes takes them (an optional DNS prefix, then a name of at most 63 characters). */
const LABEL_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;
const labelKey = text(LABEL_KEY, "must be a Kubernetes label key such as grafana_dashboard or example.com/dashboard", 317);
const labelValue = z
    .string({ error: "must be a Kubernetes label value (at most 63 characters of A-Z, a-z, 0-9, -, _ and .)" })
    .regex(LABEL_VALUE, {
        error: "must be a Kubernetes label value (at most 63 characters of A-Z, a-z, 0-9, -, _ and .)",
    });
const minutes = (fallback: number) => wholeNumber(1, 1440, "must be a whole number of minutes from 1 to 1440").default(fallback);
const percent = (fallback: number) => wholeNumber(1, 100, "must be a whole percentage from 1 to 100").default(fallback);

// The thresholds' defaults are the rules' own (components/monitoring/rules.ts).
const monitoringObject = strictObject(
    {
        /** Label the Grafana sidecar finds dashboard ConfigMaps by (kube-prometheus-stack: grafana_dashboard=1). */
        dashboardLabelKey: labelKey.default("grafana_dashboard"),
        dashboardLabelValue: labelValue.default("1"),
        /** Labels on the PodMonitors and the PrometheusRule, for the Prometheus' podMonitorSelector/ruleSelector (e.g. release: kube-prometheus-stack). */
        labels: z.record(labelKey, labelValue, { error: "must be an object of label keys to values" }).default({}),
        /** How often Prometheus scrapes each pod. */
        scrapeInterval: text(/^([1-9]\d*)(s|m)$/, "must be a duration in whole seconds or minutes, such as 30s or 1m").default(
            DEFAULT_SCRAPE_INTERVAL,
        ),
        masterDownForMinutes: minutes(T.masterDownForMinutes),
        workersBelowForMinutes: minutes(T.workersBelowForMinutes),
        appsWaitingForMinutes: minutes(T.appsWaitingForMinutes),
        coresUsedPercent: percent(T.coresUsedPercent),
        coresSaturatedForMinutes: minutes(T.coresSaturatedForMinutes),
        heapUsedPercent: percent(T.heapUsedPercent),
        heapForMinutes: minutes(T.heapForMinutes),
        connectDownForMinutes: minutes(T.connectDownForMinutes),
    },
    "must be an object such as {} or {labels: {release: kube-prometheus-stack}, coresUsedPercent: 85}",
);

/** PodMonitors, a PrometheusRule and a Grafana dashboard for the Prometheus Operator: an object (JSON text as flat config), or empty for off. */
const monitoring = z.preprocess((v) => (v === "" || v === null ? undefined : jsonText(v)), monitoringObject.optional());

export type MonitoringConfig = z.output<typeof monitoringObject>;

// A Spark Connect server (a driver on the cluster that thin clients reach over gRPC, always
// with a token): its container's size and the cores its sessions may take from the workers.
const connectObject = strictObject(
    {
        /** spark.cores.max of the server: the most cores its sessions take from the workers, so spark-submit jobs still get theirs. */
        cores: wholeNumber(1, 100_000, "must be a whole number of cores >= 1 (spark.cores.max of the Connect server)").default(1),
        /** CPU of the server's container (the driver; executors run on the workers). */
        serverCores: wholeNumber(1, 64, "must be a whole number of cores from 1 to 64 (the Connect server's container)").default(1),
        /** Memory of the server's container; its heap is three quarters of it. */
        memory: memory(MIN_CONNECT_MEMORY_MIB, ": the Connect server is a driver, and Spark wants a heap of 450Mi or more").default("1Gi"),
        /** eks/aks: also publish 15002 through an internal load balancer (never a public one). */
        loadBalancer: boolean().default(false),
    },
    "must be an object such as {cores: 2, memory: 2Gi}, or empty for off",
);

/** Spark Connect: an object (JSON text as flat config), or empty for off. */
const connect = z.preprocess((v) => (v === "" || v === null ? undefined : jsonText(v)), connectObject.optional());

export type ConnectConfig = z.output<typeof connectObject> & { memoryMiB: number };

/** An IPv4 or IPv6 CIDR such as 10.20.0.0/16: the address must be one, and the prefix fit it. */
export function isCidr(value: string): boolean {
    const m = /^([^/]+)\/(\d{1,3})$/.exec(value);
    const family = m ? isIP(m[1]) : 0;
    return m !== null && family !== 0 && Number(m[2]) <= (family === 4 ? 32 : 128);
}
const cidr = z
    .string({ error: "must be a CIDR string such as 10.20.0.0/16 or 2001:db8::/32" })
    .refine(isCidr, { error: "must be an IPv4 or IPv6 CIDR such as 10.20.0.0/16 or 2001:db8::/32" });

// Egress control: the cluster's Spark pods open connections only to DNS, the cluster's own and
// client pods, and these CIDRs (an object store, a metastore), where the network plugin enforces it.
const networkEgressObject = strictObject(
    {
        /** Destinations outside the cluster's pods that Spark pods may reach (any port). */
        allowCidrs: z.array(cidr, { error: "must be a list of CIDRs such as [10.20.0.0/16]" }).default([]),
    },
    "must be an object such as {} or {allowCidrs: [10.20.0.0/16]}, or empty for off",
);

/** Egress control: an object (JSON text as flat config), or empty for off (egress open). */
const networkEgress = z.preprocess((v) => (v === "" || v === null ? undefined : jsonText(v)), networkEgressObject.optional());

export type NetworkEgressConfig = z.output<typeof networkEgressObject>;

/** Namespaces that always exist: creating them as a Namespace object fails at `pulumi up`. */
const RESERVED_NAMESPACES = ["default", "kube-system", "kube-public", "kube-node-lease"];
// Service names must also start with a letter (DNS-1035), and `<name>-worker` plus the
// ReplicaSet and pod hashes must stay within 63 characters.
const MAX_CLUSTER_NAME = 40;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const IMAGE_REF = /^[a-z0-9]+([._/:-][a-zA-Z0-9]+)*(:[\w][\w.-]{0,127})?(@sha256:[a-f0-9]{64})?$/;

const clusterFields = {
    /** DNS label used as the prefix of every object name (`<name>-master`, `<name>-worker`). */
    name: text(
        /^[a-z]([-a-z0-9]*[a-z0-9])?$/,
        `must be a lowercase DNS label of at most ${MAX_CLUSTER_NAME} characters starting with a letter (a-z, 0-9, -)`,
        MAX_CLUSTER_NAME,
    ),
    namespace: text(
        /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/,
        "must be a DNS-1123 label: at most 63 characters of a-z, 0-9 and -, starting and ending with a letter or digit",
        63,
    ).refine((ns) => !RESERVED_NAMESPACES.includes(ns), {
        error: `must be a namespace of its own; ${RESERVED_NAMESPACES.join(", ")} always exist and cannot be created`,
    }),
    workerReplicas: wholeNumber(0, 1_000_000, "must be a whole number >= 0"),
    /** Upper bound the namespace's ResourceQuota is sized for. */
    maxWorkerReplicas: wholeNumber(1, 1_000_000, "must be a whole number >= 1"),
    sparkVersion: text(
        /^(3\.5|4\.\d+)\.\d+$/,
        "must be a Spark release MAJOR.MINOR.PATCH, 3.5.x or 4.x.y (the versions the image supports)",
    ),
    /** A prebuilt image deployed as is; "" = SparkImage builds one. */
    image: z
        .string()
        .refine((i) => i === "" || (IMAGE_REF.test(i) && ((i.split("/").pop() ?? "").includes(":") || i.includes("@"))), {
            error: "must be an image reference with a tag or digest, such as apache/spark:4.0.1 or registry/spark@sha256:<64 hex>",
            abort: true,
        })
        .refine((i) => !/:latest(@|$)/.test(i), {
            error: "must pin a version; :latest changes under a running cluster and defeats rollouts",
        }),
    workerCores: wholeNumber(1, 1024, "must be a whole number of cores >= 1 (Spark offers whole cores)"),
    workerMemory: memory(MIN_WORKER_MEMORY_MIB, ": below that the worker cannot start an executor of Spark's minimum size"),
    masterCores: wholeNumber(1, 1024, "must be a whole number of cores >= 1"),
    masterMemory: memory(MIN_MASTER_MEMORY_MIB, " for the master JVM"),
    /** Workers that may be down at once during a rolling update. */
    workerMaxUnavailable: wholeNumber(1, 1_000_000, "must be a whole number >= 1"),
    /** Spark RPC authentication with a generated secret kept in a Kubernetes Secret. */
    rpcAuth: boolean(),
    /** With rpcAuth: RPC and block transfers AES-encrypted with keys from the RPC secret (needs it, so off without rpcAuth). */
    networkCrypto: boolean(),
    networkEgress,
    /** Seconds a removed worker spends decommissioning (moving blocks, finishing tasks); 0 = stop at once. */
    workerDecommissionSeconds: wholeNumber(0, 3600, "must be a whole number of seconds from 0 (off) to 3600"),
    autoscaling,
    monitoring,
    connect,
    historyServer: boolean(),
    eventLogStorageClass: z.string().refine((s) => s === "" || (DNS_SUBDOMAIN.test(s) && s.length <= 253), {
        error: "must be a StorageClass name (DNS-1123 subdomain), or empty for the target's default",
    }),
    /** Local disk for a worker's shuffle files and spills (its /tmp emptyDir's sizeLimit). */
    workerScratchSize: text(/^([1-9]\d*)(Mi|Gi|Ti)$/, "must be a size of at least 1Gi in Mi, Gi or Ti, such as 8Gi").refine(
        (s) => !s.endsWith("Mi") || parseInt(s, 10) >= 1024,
        { error: "must be a size of at least 1Gi in Mi, Gi or Ti, such as 8Gi" },
    ),
    eventLogSize: text(/^([1-9]\d*)(Mi|Gi|Ti)$/, "must be a size of at least 1Gi in Mi, Gi or Ti, such as 10Gi").refine(
        (s) => !s.endsWith("Mi") || parseInt(s, 10) >= 1024,
        { error: "must be a size of at least 1Gi in Mi, Gi or Ti, such as 10Gi" },
    ),
    /** The master's recovery state on a ReadWriteOnce claim: auto = on where the target binds one. */
    masterRecovery: oneOf(["auto", "on", "off"] as const),
    masterRecoveryStorageClass: z.string().refine((s) => s === "" || (DNS_SUBDOMAIN.test(s) && s.length <= 253), {
        error: "must be a StorageClass name (DNS-1123 subdomain), or empty for the target's default",
    }),
    masterRecoverySize: text(/^([1-9]\d*)(Mi|Gi|Ti)$/, "must be a size of at least 1Gi in Mi, Gi or Ti, such as 1Gi").refine(
        (s) => !s.endsWith("Mi") || parseInt(s, 10) >= 1024,
        { error: "must be a size of at least 1Gi in Mi, Gi or Ti, such as 1Gi" },
    ),
};

/** The keys a `clusters` entry may set; the rest of its values come from the flat keys. */
export const CLUSTER_KEYS = Object.keys(clusterFields) as (keyof typeof clusterFields)[];

export const clusterSchema = strictObject(clusterFields, "must be an object with at least a name")
    .superRefine((c, ctx) => {
        if (c.workerReplicas > c.maxWorkerReplicas) {
            problem(
                ctx,
                ["workerReplicas"],
                `must not exceed maxWorkerReplicas (${c.maxWorkerReplicas}): the namespace quota is sized for that many workers; raise maxWorkerReplicas too`,
                c.workerReplicas,
            );
        }
        // Spark 3.5's distribution has no Connect server and its server has no token check.
        if (c.connect !== undefined && !c.sparkVersion.startsWith("4.")) {
            problem(
                ctx,
                ["connect"],
                `needs Spark 4 or later, but sparkVersion is ${c.sparkVersion}: Spark 3.5 ships no Connect server and its server has no token check; set sparkVersion to a 4.x release or leave connect empty`,
            );
        }
        const a = c.autoscaling;
        if (a !== undefined && a.maxReplicas > c.maxWorkerReplicas) {
            problem(
                ctx,
                ["autoscaling", "maxReplicas"],
                `must not exceed maxWorkerReplicas (${c.maxWorkerReplicas}): the namespace quota admits no more workers`,
                a.maxReplicas,
            );
        } else if (a !== undefined && (c.workerReplicas < a.minReplicas || c.workerReplicas > a.maxReplicas)) {
            problem(
                ctx,
                ["autoscaling"],
                `workerReplicas is the initial size and must lie within [minReplicas, maxReplicas] = [${a.minReplicas}, ${a.maxReplicas}]`,
                `workerReplicas ${c.workerReplicas}`,
            );
        }
    })
    .transform(
        ({
            image,
            autoscaling,
            monitoring,
            connect,
            historyServer,
            eventLogStorageClass,
            eventLogSize,
            networkCrypto,
            masterRecovery,
            masterRecoveryStorageClass,
            masterRecoverySize,
            ...c
        }) => ({
            ...c,
            /**
             * The master's recovery claim; undefined = off. `required`: asked for with "on" (a target
             * that cannot bind one refuses it), not only "auto" (there it is simply off).
             */
            masterRecovery:
                masterRecovery === "off"
                    ? undefined
                    : {
                          required: masterRecovery === "on",
                          /** StorageClass of the claim; undefined = the target's default (components/platforms/targets.ts). */
                          storageClassName: masterRecoveryStorageClass === "" ? undefined : masterRecoveryStorageClass,
                          size: masterRecoverySize,
                      },
            /** Encryption on the wire; its keys come from the RPC secret, so only with rpcAuth. */
            networkCrypto: c.rpcAuth && networkCrypto,
            /** The Spark Connect server; undefined = off. */
            connect: connect === undefined ? undefined : ({ ...connect, memoryMiB: parseMemoryMiB(connect.memory)! } as ConnectConfig),
            /** Worker autoscaling; undefined = off (workerReplicas is the size). */
            autoscaling,
            /** PodMonitors, PrometheusRule and Grafana dashboard (components/monitoring/); undefined = off. */
            monitoring,
            image: image === "" ? undefined : image,
            workerMemoryMiB: parseMemoryMiB(c.workerMemory)!,
            masterMemoryMiB: parseMemoryMiB(c.masterMemory)!,
            workerScratchMiB: parseMemoryMiB(c.workerScratchSize)!,
            /** The History Server and the ReadWriteMany claim drivers write event logs to; undefined = off. */
            historyServer: historyServer
                ? {
                      /** StorageClass of the event-log claim; undefined = the target's default (components/platforms/targets.ts). */
                      storageClassName: eventLogStorageClass === "" ? undefined : eventLogStorageClass,
                      size: eventLogSize,
                  }
                : undefined,
        }),
    );

/** One Spark standalone cluster (master + workers) in its own namespace. */
export type ClusterConfig = z.output<typeof clusterSchema>;
export type HistoryServerConfig = NonNullable<ClusterConfig["historyServer"]>;
export type MasterRecoveryConfig = NonNullable<ClusterConfig["masterRecovery"]>;

/** The clusters of a stack: at least one, each with its own name and namespace. */
export const clustersSchema = z
    .array(clusterSchema, { error: "must be a non-empty list of objects, each with at least a name" })
    .min(1, { error: "must be a non-empty list of objects, each with at least a name" })
    .superRefine((clusters, ctx) => {
        for (const field of ["name", "namespace"] as const) {
            const seen = new Set<string>();
            for (const c of clusters) {
                if (seen.has(c[field])) {
                    problem(ctx, [], `each cluster needs its own ${field}; "${c[field]}" is used twice`, c[field]);
                }
                seen.add(c[field]);
            }
        }
    });
