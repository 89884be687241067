import * as crypto from "crypto";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { hpaSpec, scaledObjectSpec } from "./autoscaling";
import * as spec from "./clusterSpec";
import * as connect from "./connect";
import { generateServerTls } from "./x509";
import { egressPolicySpec } from "./networkEgress";
import { ClusterConfig } from "./config";
import { monitoredRoles, podMonitors, runsConnectServer } from "./monitoring/podMonitors";
import { prometheusRule } from "./monitoring/rules";
import { WebUiExposure } from "./platforms/platform";
import { checkovAnnotations, sparkWorkloadSkips } from "./scanner";

export interface SparkClusterArgs {
    /** Sizes, names and version of this cluster (validated by components/config/). */
    cluster: ClusterConfig;
    /** Image reference the master and workers run. */
    image: pulumi.Input<string>;
    /** Pull policy that suits how the platform delivers images. */
    imagePullPolicy: "IfNotPresent" | "Always";
    /** Provider of the target cluster; every object here is created with it. */
    provider: k8s.Provider;
    /** How the web UI is exposed (the RPC port never leaves the cluster). */
    webUi: WebUiExposure;
    /** kubectl context shown in `portForwardCommand`; undefined = current context. */
    kubectlContext?: string;
    /** Annotations that keep a LoadBalancer internal (eks, aks); needed for Spark Connect's load balancer. */
    internalLoadBalancerAnnotations?: Record<string, string>;
}

/** What one cluster publishes; other stacks read these names through a StackReference. */
export interface ClusterOutputs {
    readonly namespace: pulumi.Output<string>;
    readonly masterUrl: pulumi.Output<string>;
    readonly masterWebUiUrl: pulumi.Output<string>;
    readonly portForwardCommand: pulumi.Output<string>;
    readonly image: pulumi.Output<string>;
    readonly sparkVersion: pulumi.Output<string>;
    readonly workerReplicas: pulumi.Output<number>;
    /** The Secret (in `namespace`) clients mount for RPC authentication; undefined with rpcAuth off. */
    readonly rpcAuthSecretName: pulumi.Output<string | undefined>;
    /** Whether clients must encrypt (SPARK_NETWORK_CRYPTO=true with the image's submit role, else spark.network.crypto.enabled=true): an encrypting cluster refuses drivers that do not. */
    readonly networkCrypto: pulumi.Output<boolean>;
    /** The History Server's in-cluster URL (UI and REST API); undefined with historyServer off. */
    readonly historyServerUrl: pulumi.Output<string | undefined>;
    /** The ReadWriteMany claim (in `namespace`) clients mount at /opt/spark/events so their event logs reach the History Server. */
    readonly eventLogClaimName: pulumi.Output<string | undefined>;
    /** The master's ReadWriteOnce claim of recovery state (a restarted master takes back workers and applications); undefined with masterRecovery off. */
    readonly masterRecoveryClaimName: pulumi.Output<string | undefined>;
    /** Spark Connect's in-cluster `sc://` URL, without the token; undefined with connect off. */
    readonly connectUrl: pulumi.Output<string | undefined>;
    /** The Secret (in `namespace`, key `token`) holding the token Connect clients send; undefined with connect off. */
    readonly connectTokenSecretName: pulumi.Output<string | undefined>;
    /** The CA certificate (PEM) that signed the Connect server's TLS certificate: what in-cluster clients trust; undefined with connect off. */
    readonly connectCaCert: pulumi.Output<string | undefined>;
    /** The ConfigMap (in `namespace`, key `ca.crt`) holding that CA, for client pods to mount; undefined with connect off. */
    readonly connectCaConfigMapName: pulumi.Output<string | undefined>;
    /** What a laptop runs to reach Connect on sc://localhost:15002; undefined with connect off. */
    readonly connectPortForwardCommand: pulumi.Output<string | undefined>;
    /** The internal load balancer's `sc://` URL (eks, aks, opt-in); undefined without it. */
    readonly connectLoadBalancerUrl: pulumi.Output<string | undefined>;
}

/**
 * A Secret whose values are generated once: later runs generate others, which ignoreChanges
 * discards, so it stays stable without a provider plugin beyond Kubernetes (the e2e tier's
 * preview-shows-no-change journeys prove it). Deleting the Secret (then `pulumi up --refresh`)
 * rotates it.
 */
function keptSecret(
    name: string,
    metadata: k8s.types.input.meta.v1.ObjectMeta,
    type: string,
    stringData: pulumi.Input<Record<string, pulumi.Input<string>>>,
    child: pulumi.CustomResourceOptions,
): k8s.core.v1.Secret {
    return new k8s.core.v1.Secret(name, { metadata, type, stringData }, { ...child, ignoreChanges: ["stringData", "data"] });
}

/** 64 random hex characters under `key`, kept: the RPC secret and the Connect token. */
function generatedSecret(
    name: string,
    metadata: k8s.types.input.meta.v1.ObjectMeta,
    key: string,
    child: pulumi.CustomResourceOptions,
): k8s.core.v1.Secret {
    return keptSecret(name, metadata, "Opaque", { [key]: pulumi.secret(crypto.randomBytes(32).toString("hex")) }, child);
}

/**
 * The Connect server's kubernetes.io/tls Secret (tls.crt, tls.key, ca.crt), kept: a private CA and
 * a certificate it signs for the Service's DNS names (components/x509.ts). The CA's key is never
 * kept: nothing signs with it again.
 */
function generatedTlsSecret(
    name: string,
    metadata: k8s.types.input.meta.v1.ObjectMeta,
    c: ClusterConfig,
    child: pulumi.CustomResourceOptions,
): k8s.core.v1.Secret {
    const m = generateServerTls(connect.connectServiceName(c), connect.connectTlsHosts(c), connect.CONNECT_TLS_DAYS);
    const stringData = pulumi.secret({ "tls.crt": m.cert, "tls.key": m.key, [connect.CONNECT_CA_KEY]: m.caCert });
    return keptSecret(name, metadata, "kubernetes.io/tls", stringData, child);
}

/** A LoadBalancer Service's address once the cloud has assigned one (hostname or IP), else "pending". */
function loadBalancerAddress(service: k8s.core.v1.Service): pulumi.Output<string> {
    return service.status.loadBalancer.apply((lb) => {
        const ingress = lb?.ingress?.[0];
        return ingress?.hostname ?? ingress?.ip ?? "pending";
    });
}

/**
 * One Spark standalone cluster in its own namespace: quota and limits for the namespace, a
 * master (one replica, recreated on change) behind a Service on 7077/8080, and workers sized
 * exactly like their containers, protected by a disruption budget.
 */
export class SparkCluster extends pulumi.ComponentResource {
    /** What the cluster publishes (the stack exports the primary cluster's flat and every cluster by name). */
    readonly outputs: ClusterOutputs;

    constructor(name: string, args: SparkClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("spark-on-k8s:spark:SparkCluster", name, {}, { ...opts, providers: [args.provider] });
        const c = args.cluster;
        const child: pulumi.CustomResourceOptions = { parent: this, provider: args.provider };
        const labels = spec.commonLabels(c.name);
        const inputs = { image: args.image, imagePullPolicy: args.imagePullPolicy };
        // The scanner's accepted findings, on the Deployments only (not their pod templates: no rollout).
        const scannerAnnotations = pulumi
            .output(args.image)
            .apply((image) => checkovAnnotations(sparkWorkloadSkips(image, args.imagePullPolicy)));

        const ns = new k8s.core.v1.Namespace(`${name}-ns`, { metadata: { name: c.namespace, labels } }, child);
        const inNs = (objectName: string, extraLabels: Record<string, string> = labels) => ({
            name: objectName,
            namespace: ns.metadata.name,
            labels: extraLabels,
        });

        const quota = new k8s.core.v1.ResourceQuota(
            `${name}-quota`,
            { metadata: inNs(`${c.name}-quota`), spec: { hard: spec.quotaHard(c, args.webUi.serviceType === "LoadBalancer") } },
            child,
        );
        // What Pulumi itself creates against a quota limit (claims, load balancers) waits for the
        // quota's update: the API server refuses it at once where the old limit is 0, while pods
        // (created by their controllers) are retried.
        const withinQuota: pulumi.CustomResourceOptions = { ...child, dependsOn: [quota] };
        new k8s.core.v1.LimitRange(`${name}-limits`, { metadata: inNs(`${c.name}-limits`), spec: spec.limitRangeSpec(c) }, child);

        // Spark pods never call the Kubernetes API: a dedicated account with no token mounted.
        const sa = new k8s.core.v1.ServiceAccount(
            `${name}-sa`,
            { metadata: inNs(`${c.name}-spark`), automountServiceAccountToken: false },
            child,
        );

        const authSecret = c.rpcAuth ? generatedSecret(`${name}-rpc-auth`, inNs(spec.authSecretName(c)), spec.AUTH_KEY, child) : undefined;

        new k8s.networking.v1.NetworkPolicy(
            `${name}-netpol`,
            { metadata: inNs(`${c.name}-spark`), spec: spec.networkPolicySpec(c) },
            child,
        );
        const egress = egressPolicySpec(c);
        if (egress) {
            new k8s.networking.v1.NetworkPolicy(`${name}-egress`, { metadata: inNs(`${c.name}-spark-egress`), spec: egress }, child);
        }

        // Master recovery: a ReadWriteOnce claim only the master mounts. Recreate below keeps
        // it to one writer: the old master is gone before the new one mounts it.
        const recovery = c.masterRecovery
            ? new k8s.core.v1.PersistentVolumeClaim(
                  `${name}-master-recovery`,
                  { metadata: inNs(spec.recoveryClaimName(c)), spec: spec.recoveryClaimSpec(c) },
                  withinQuota,
              )
            : undefined;

        const masterLabels = spec.workloadLabels(c, "master");
        const master = new k8s.apps.v1.Deployment(
            `${name}-master`,
            {
                metadata: { ...inNs(`${c.name}-master`, masterLabels), annotations: scannerAnnotations },
                spec: {
                    replicas: 1,
                    // Two masters would split the cluster: the old one goes before the new one starts.
                    strategy: { type: "Recreate" },
                    selector: { matchLabels: spec.selectorLabels(c.name, "master") },
                    template: {
                        metadata: { labels: masterLabels, annotations: spec.scrapeAnnotations("master") },
                        spec: spec.podSpec(c, "master", sa.metadata.name, spec.sparkContainer(c, "master", inputs)),
                    },
                },
            },
            { ...child, dependsOn: [...(authSecret ? [authSecret] : []), ...(recovery ? [recovery] : [])] },
        );

        const service = new k8s.core.v1.Service(
            `${name}-master-svc`,
            {
                metadata: { ...inNs(spec.masterServiceName(c)), annotations: spec.BACKENDS_AWAITED },
                spec: {
                    type: "ClusterIP",
                    selector: spec.selectorLabels(c.name, "master"),
                    ports: [
                        { name: "rpc", port: spec.PORTS.masterRpc, targetPort: "rpc", protocol: "TCP" },
                        { name: "http", port: spec.PORTS.masterWebUi, targetPort: "http", protocol: "TCP" },
                    ],
                },
            },
            child,
        );

        // The UI gets a Service of its own when published, so the RPC port never leaves the cluster.
        const uiService =
            args.webUi.serviceType === "LoadBalancer"
                ? new k8s.core.v1.Service(
                      `${name}-master-ui`,
                      {
                          metadata: { ...inNs(`${c.name}-master-ui`), annotations: args.webUi.annotations },
                          spec: {
                              type: "LoadBalancer",
                              selector: spec.selectorLabels(c.name, "master"),
                              ports: [{ name: "http", port: spec.PORTS.masterWebUi, targetPort: "http", protocol: "TCP" }],
                          },
                      },
                      withinQuota,
                  )
                : undefined;

        // Event logs: one ReadWriteMany claim that drivers write to (in the workers for
        // cluster-mode drivers, in client pods otherwise) and the History Server reads.
        const eventLogs = c.historyServer
            ? new k8s.core.v1.PersistentVolumeClaim(
                  `${name}-event-logs`,
                  { metadata: inNs(spec.eventLogClaimName(c)), spec: spec.eventLogClaimSpec(c) },
                  withinQuota,
              )
            : undefined;
        const history = eventLogs ? this.historyServer(name, c, inNs, sa, eventLogs, inputs, scannerAnnotations, child) : undefined;

        const workerLabels = spec.workloadLabels(c, "worker");
        const workers = new k8s.apps.v1.Deployment(
            `${name}-worker`,
            {
                metadata: {
                    ...inNs(`${c.name}-worker`, workerLabels),
                    // Without an autoscaler, workerReplicas is the size: when something else
                    // resized the Deployment (a removed autoscaler, kubectl scale), the next
                    // apply takes replicas back instead of failing on the field conflict.
                    annotations: c.autoscaling
                        ? scannerAnnotations
                        : scannerAnnotations.apply((a) => ({ ...a, "pulumi.com/patchForce": "true" })),
                },
                spec: {
                    replicas: c.workerReplicas,
                    // No surge: a rollout never needs more capacity than the cluster already has.
                    strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: c.workerMaxUnavailable, maxSurge: 0 } },
                    selector: { matchLabels: spec.selectorLabels(c.name, "worker") },
                    template: {
                        metadata: { labels: workerLabels, annotations: spec.scrapeAnnotations("worker") },
                        spec: spec.podSpec(c, "worker", sa.metadata.name, spec.sparkContainer(c, "worker", inputs), {
                            topologySpreadConstraints: spec.workerSpread(c),
                            terminationGracePeriodSeconds: spec.workerTerminationGraceSeconds(c),
                        }),
                    },
                },
            },
            {
                ...child,
                // Not after the master's Service: workers start beside the master and retry it
                // until it answers (Spark's worker registration retries), and `up` still waits
                // for each to be ready, which the entrypoint reports only once registered.
                dependsOn: [...(authSecret ? [authSecret] : []), ...(eventLogs ? [eventLogs] : [])],
                // With an autoscaler, workerReplicas is the initial size only: later runs leave
                // the autoscaler's count alone instead of fighting it.
                ignoreChanges: c.autoscaling ? ["spec.replicas"] : [],
            },
        );

        if (c.autoscaling?.mode === "cpu") {
            new k8s.autoscaling.v2.HorizontalPodAutoscaler(
                `${name}-worker-hpa`,
                { metadata: inNs(`${c.name}-worker`), spec: hpaSpec(c.autoscaling, `${c.name}-worker`) },
                { ...child, dependsOn: [workers] },
            );
        } else if (c.autoscaling?.mode === "keda") {
            // Needs KEDA (keda.sh) in the cluster; it reads the master's /json/ on the UI port.
            new k8s.apiextensions.CustomResource(
                `${name}-worker-scaler`,
                {
                    apiVersion: "keda.sh/v1alpha1",
                    kind: "ScaledObject",
                    metadata: inNs(`${c.name}-worker`),
                    spec: scaledObjectSpec(c.autoscaling, `${c.name}-worker`, `${spec.masterWebUiUrl(c)}/json/`, c.workerCores),
                },
                { ...child, dependsOn: [workers] },
            );
        }

        new k8s.policy.v1.PodDisruptionBudget(
            `${name}-worker-pdb`,
            {
                metadata: inNs(`${c.name}-worker`),
                spec: { maxUnavailable: 1, selector: { matchLabels: spec.selectorLabels(c.name, "worker") } },
            },
            child,
        );

        if (c.monitoring) {
            this.monitoring(name, c, ns, [master, workers], child);
        }
        const connectServer = c.connect
            ? this.connectServer(name, c, args, inNs, sa, inputs, scannerAnnotations, child, withinQuota, [
                  // The master serving (its Deployment awaited Ready: ALIVE), not its Service's
                  // await, which no longer runs: the server's driver gives up on a master that
                  // does not answer within a minute.
                  master,
                  ...(authSecret ? [authSecret] : []),
              ])
            : undefined;

        this.outputs = {
            namespace: ns.metadata.name,
            // Derived from the objects, so the URLs resolve only once those exist.
            masterUrl: pulumi.all([service.metadata.name, master.metadata.name]).apply(() => spec.masterUrl(c)),
            masterWebUiUrl:
                uiService === undefined
                    ? service.metadata.name.apply(() => spec.masterWebUiUrl(c))
                    : loadBalancerAddress(uiService).apply((host) => `http://${host}:${spec.PORTS.masterWebUi}`),
            portForwardCommand: service.metadata.name.apply(() => spec.portForwardCommand(c, args.kubectlContext)),
            image: pulumi.output(args.image),
            sparkVersion: pulumi.output(c.sparkVersion),
            workerReplicas: workers.spec.replicas,
            rpcAuthSecretName: authSecret ? authSecret.metadata.name : pulumi.output(undefined),
            networkCrypto: pulumi.output(c.networkCrypto),
            historyServerUrl: history ? history.metadata.name.apply(() => spec.historyWebUiUrl(c)) : pulumi.output(undefined),
            eventLogClaimName: eventLogs ? eventLogs.metadata.name : pulumi.output(undefined),
            masterRecoveryClaimName: recovery ? recovery.metadata.name : pulumi.output(undefined),
            connectUrl: connectServer ? connectServer.service.metadata.name.apply(() => connect.connectUrl(c)) : pulumi.output(undefined),
            connectTokenSecretName: connectServer ? connectServer.token.metadata.name : pulumi.output(undefined),
            connectCaCert: connectServer ? connectServer.caCert : pulumi.output(undefined),
            connectCaConfigMapName: connectServer ? connectServer.ca.metadata.name : pulumi.output(undefined),
            connectPortForwardCommand: connectServer
                ? connectServer.service.metadata.name.apply(() => connect.connectPortForwardCommand(c, args.kubectlContext))
                : pulumi.output(undefined),
            connectLoadBalancerUrl: connectServer?.loadBalancer
                ? loadBalancerAddress(connectServer.loadBalancer).apply((host) => `sc://${host}:${connect.CONNECT_PORT}`)
                : pulumi.output(undefined),
        };
        this.registerOutputs({ ...this.outputs });
    }

    /**
     * PodMonitors (one per role that runs), the PrometheusRule and the Grafana dashboard ConfigMap.
     * The CRs need the Prometheus Operator's CRDs in the cluster: without them `pulumi up` fails
     * with the API server's "no matches for kind PodMonitor" (docs/monitoring.md).
     */
    private monitoring(
        name: string,
        c: ClusterConfig,
        ns: k8s.core.v1.Namespace,
        workloads: pulumi.Resource[],
        child: pulumi.CustomResourceOptions,
    ): void {
        const m = c.monitoring!;
        const base = { cluster: c.name, namespace: c.namespace, extraLabels: m.labels, interval: m.scrapeInterval };
        const after = { ...child, dependsOn: [ns, ...workloads] };
        for (const monitor of podMonitors(base, monitoredRoles(c))) {
            const role = (monitor.metadata as { labels: Record<string, string> }).labels["app.kubernetes.io/component"];
            new k8s.apiextensions.CustomResource(`${name}-podmonitor-${role}`, monitor as k8s.apiextensions.CustomResourceArgs, after);
        }
        const { masterDownForMinutes, workersBelowForMinutes, appsWaitingForMinutes, coresUsedPercent, coresSaturatedForMinutes } = m;
        const { heapUsedPercent, heapForMinutes, connectDownForMinutes } = m;
        new k8s.apiextensions.CustomResource(
            `${name}-prometheus-rule`,
            prometheusRule({
                cluster: c.name,
                namespace: c.namespace,
                // With an autoscaler the count moves; its minimum is what must always be ALIVE.
                desiredWorkers: c.autoscaling ? c.autoscaling.minReplicas : c.workerReplicas,
                extraLabels: m.labels,
                connectServer: runsConnectServer(c),
                thresholds: {
                    masterDownForMinutes,
                    workersBelowForMinutes,
                    appsWaitingForMinutes,
                    coresUsedPercent,
                    coresSaturatedForMinutes,
                    heapUsedPercent,
                    heapForMinutes,
                    connectDownForMinutes,
                },
            }) as k8s.apiextensions.CustomResourceArgs,
            after,
        );
        // The dashboard's module (and the Grafana SDK under it) is loaded only here, for a cluster
        // with monitoring on: every other run of the program would pay ~50 ms to load it for nothing.
        const dash = pulumi.output(
            import("./monitoring/dashboard").then((d) => ({
                name: d.dashboardConfigMapName(c.name),
                ...d.dashboardConfigMapData({
                    cluster: c.name,
                    namespace: c.namespace,
                    desiredWorkers: c.workerReplicas,
                    autoscaling: c.autoscaling !== undefined,
                    label: { key: m.dashboardLabelKey, value: m.dashboardLabelValue },
                }),
            })),
        );
        new k8s.core.v1.ConfigMap(
            `${name}-dashboard`,
            { metadata: { name: dash.name, namespace: ns.metadata.name, labels: dash.labels }, data: dash.data },
            child,
        );
    }

    /** The History Server (one replica, recreated on change) and its Service on 18080. */
    private historyServer(
        name: string,
        c: ClusterConfig,
        inNs: (objectName: string, labels?: Record<string, string>) => k8s.types.input.meta.v1.ObjectMeta,
        sa: k8s.core.v1.ServiceAccount,
        eventLogs: k8s.core.v1.PersistentVolumeClaim,
        inputs: spec.ContainerInputs,
        scannerAnnotations: pulumi.Output<Record<string, string>>,
        child: pulumi.CustomResourceOptions,
    ): k8s.core.v1.Service {
        const labels = spec.workloadLabels(c, "history");
        new k8s.apps.v1.Deployment(
            `${name}-history`,
            {
                metadata: { ...inNs(spec.historyServiceName(c), labels), annotations: scannerAnnotations },
                spec: {
                    replicas: 1,
                    // One reader of the claim at a time: the old server goes before the new one starts.
                    strategy: { type: "Recreate" },
                    selector: { matchLabels: spec.selectorLabels(c.name, "history") },
                    template: {
                        metadata: { labels },
                        spec: spec.podSpec(c, "history", sa.metadata.name, spec.sparkContainer(c, "history", inputs)),
                    },
                },
            },
            { ...child, dependsOn: [eventLogs] },
        );
        return new k8s.core.v1.Service(
            `${name}-history-svc`,
            {
                metadata: { ...inNs(spec.historyServiceName(c)), annotations: spec.BACKENDS_AWAITED },
                spec: {
                    type: "ClusterIP",
                    selector: spec.selectorLabels(c.name, "history"),
                    ports: [{ name: "http", port: spec.PORTS.historyWebUi, targetPort: "http", protocol: "TCP" }],
                },
            },
            child,
        );
    }

    /**
     * The Spark Connect server: its token Secret and its TLS Secret (generated once, like the RPC
     * secret), the CA's ConfigMap for clients, a Deployment (one replica, recreated on change: one
     * session state, one set of executors) of the server and its TLS proxy, its Service on 15002
     * and, on eks/aks when asked, an internal load balancer.
     */
    private connectServer(
        name: string,
        c: ClusterConfig,
        args: SparkClusterArgs,
        inNs: (objectName: string, labels?: Record<string, string>) => k8s.types.input.meta.v1.ObjectMeta,
        sa: k8s.core.v1.ServiceAccount,
        inputs: spec.ContainerInputs,
        scannerAnnotations: pulumi.Output<Record<string, string>>,
        child: pulumi.CustomResourceOptions,
        withinQuota: pulumi.CustomResourceOptions,
        dependsOn: pulumi.Resource[],
    ): {
        token: k8s.core.v1.Secret;
        ca: k8s.core.v1.ConfigMap;
        caCert: pulumi.Output<string>;
        service: k8s.core.v1.Service;
        loadBalancer?: k8s.core.v1.Service;
    } {
        // Deleting a Secret (then `pulumi up`) rotates it (docs/connect.md).
        const token = generatedSecret(`${name}-connect-token`, inNs(connect.connectTokenSecretName(c)), connect.CONNECT_TOKEN_KEY, child);
        const tls = generatedTlsSecret(`${name}-connect-tls`, inNs(connect.connectTlsSecretName(c)), c, child);
        // The CA as the stored Secret holds it (not this run's new one, which ignoreChanges drops):
        // public, so neither the ConfigMap nor the output is secret.
        const caCert = pulumi.unsecret(
            // Only `data`: the provider keeps no stringData output, and one it lacks is unknown in a
            // preview (which would make every preview replace the ConfigMap; the e2e tier saw it).
            tls.data.apply((data) => Buffer.from(data[connect.CONNECT_CA_KEY], "base64").toString("utf8")),
        );
        const ca = new k8s.core.v1.ConfigMap(
            `${name}-connect-ca`,
            { metadata: inNs(connect.connectCaConfigMapName(c)), data: { [connect.CONNECT_CA_KEY]: caCert } },
            child,
        );
        const labels = spec.workloadLabels(c, "connect");
        new k8s.apps.v1.Deployment(
            `${name}-connect`,
            {
                metadata: { ...inNs(connect.connectServiceName(c), labels), annotations: scannerAnnotations },
                spec: {
                    replicas: 1,
                    // Sessions live in the one server: the old one goes before the new one starts.
                    strategy: { type: "Recreate" },
                    selector: { matchLabels: connect.connectSelectorLabels(c) },
                    template: {
                        metadata: { labels },
                        spec: spec.podSpec(c, "connect", sa.metadata.name, [
                            connect.connectContainer(c, inputs),
                            connect.connectTlsContainer(c, inputs),
                        ]),
                    },
                },
            },
            { ...child, dependsOn: [token, tls, ...dependsOn] },
        );
        const service = new k8s.core.v1.Service(
            `${name}-connect-svc`,
            {
                metadata: { ...inNs(connect.connectServiceName(c)), annotations: spec.BACKENDS_AWAITED },
                spec: connect.connectServiceSpec(c),
            },
            child,
        );
        const annotations = args.internalLoadBalancerAnnotations;
        if (c.connect?.loadBalancer === true && annotations === undefined) {
            // The config refuses this; a platform without the annotations must not get a public one.
            throw new Error(`cluster ${c.name}: connect.loadBalancer needs a target with internal load balancers (eks, aks)`);
        }
        const loadBalancer =
            c.connect?.loadBalancer === true
                ? new k8s.core.v1.Service(
                      `${name}-connect-lb`,
                      {
                          metadata: { ...inNs(`${connect.connectServiceName(c)}-lb`), annotations },
                          spec: connect.connectServiceSpec(c, "LoadBalancer"),
                      },
                      withinQuota,
                  )
                : undefined;
        return { token, ca, caCert, service, loadBalancer };
    }
}
