import * as assert from "assert";
import * as fs from "fs";
import { all, evaluate, Evaluation, isSecret, one, Recorded } from "../../tooling/mocks/mocks";
import { standInKubeconfig } from "../../tooling/mocks/kubeconfig";

const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const SECRET_VALUE_SIG = "1b47061264138c4ac30d75fd1eb44270";
const SERVICE = "kubernetes:core/v1:Service";

const kubeconfigFile = () => standInKubeconfig("lab");

function env(container: any): Record<string, unknown> {
    return Object.fromEntries(container.env.map((e: any) => [e.name, e.value ?? e.valueFrom]));
}

/** Every Kubernetes object of the evaluation. */
function k8sObjects(e: Evaluation): Recorded[] {
    return e.resources.filter((r) => r.type.startsWith("kubernetes:"));
}

/**
 * Liveness (the UI answers) and readiness (the entrypoint's `ready` check: the daemon serves
 * the cluster) are different probes; the startup probe holds both off during JVM start.
 */
function assertProbes(c: any, role: string): void {
    for (const probe of ["startupProbe", "livenessProbe"]) {
        assert.deepStrictEqual(c[probe].httpGet, { path: "/", port: "http" }, probe);
    }
    assert.deepStrictEqual(c.readinessProbe.exec, { command: ["/opt/entrypoint.sh", "ready", role] });
    assert.strictEqual(c.readinessProbe.httpGet, undefined);
    assert.notDeepStrictEqual(c.readinessProbe, c.livenessProbe);
    // A busy daemon (a long GC) gets a minute before it is restarted.
    assert.ok(c.livenessProbe.periodSeconds * c.livenessProbe.failureThreshold >= 60);
}

describe("SparkCluster on the minikube target (dev-like config)", () => {
    let e: Evaluation;
    before(async () => {
        e = await evaluate({
            namespace: "spark-dev",
            workerReplicas: "3",
            workerMemory: "1Gi",
            masterMemory: "1Gi",
            maxWorkerReplicas: "4",
        });
    });

    it("creates exactly the expected objects, all on the platform's explicit provider", () => {
        const provider = one(e.resources, "pulumi:providers:kubernetes");
        assert.strictEqual(provider.name, "minikube-k8s");
        assert.strictEqual(provider.inputs.context, "minikube");
        assert.strictEqual(provider.inputs.kubeconfig, undefined);
        assert.deepStrictEqual(
            k8sObjects(e)
                .map((r) => `${r.type} ${r.name}`)
                .sort(),
            [
                "kubernetes:apps/v1:Deployment spark-master",
                "kubernetes:apps/v1:Deployment spark-worker",
                "kubernetes:core/v1:LimitRange spark-limits",
                "kubernetes:core/v1:Namespace spark-ns",
                "kubernetes:core/v1:PersistentVolumeClaim spark-master-recovery",
                "kubernetes:core/v1:ResourceQuota spark-quota",
                "kubernetes:core/v1:Secret spark-rpc-auth",
                "kubernetes:core/v1:Service spark-master-svc",
                "kubernetes:core/v1:ServiceAccount spark-sa",
                "kubernetes:networking.k8s.io/v1:NetworkPolicy spark-netpol",
                "kubernetes:policy/v1:PodDisruptionBudget spark-worker-pdb",
            ],
        );
        for (const r of k8sObjects(e)) {
            assert.match(r.provider ?? "", /pulumi:providers:kubernetes::minikube-k8s::/, `${r.name} provider`);
        }
    });

    it("puts every namespaced object in the cluster's namespace under shared labels", () => {
        assert.strictEqual(one(e.resources, "kubernetes:core/v1:Namespace").inputs.metadata.name, "spark-dev");
        for (const r of k8sObjects(e).filter((x) => x.type !== "kubernetes:core/v1:Namespace")) {
            assert.strictEqual(r.inputs.metadata.namespace, "spark-dev", r.name);
            assert.strictEqual(r.inputs.metadata.labels["app.kubernetes.io/instance"], "spark", r.name);
            assert.strictEqual(r.inputs.metadata.labels["app.kubernetes.io/managed-by"], "pulumi", r.name);
        }
    });

    it("runs one master, recreated on change, with selector = template labels = Service selector", () => {
        const master = one(e.resources, DEPLOYMENT, "spark-master").inputs;
        assert.strictEqual(master.metadata.name, "spark-master");
        assert.strictEqual(master.spec.replicas, 1);
        assert.deepStrictEqual(master.spec.strategy, { type: "Recreate" });
        const selector = {
            "app.kubernetes.io/name": "spark",
            "app.kubernetes.io/instance": "spark",
            "app.kubernetes.io/component": "master",
        };
        assert.deepStrictEqual(master.spec.selector.matchLabels, selector);
        assert.deepStrictEqual(master.spec.template.metadata.labels, {
            ...selector,
            "app.kubernetes.io/part-of": "spark-on-k8s",
            "app.kubernetes.io/managed-by": "pulumi",
            "app.kubernetes.io/version": "4.3.0",
        });
        const svc = one(e.resources, SERVICE).inputs;
        assert.strictEqual(svc.metadata.name, "spark-master");
        // Its backends' readiness is awaited; the provider's own Service await (a fixed 10 s settle) is not.
        assert.deepStrictEqual(svc.metadata.annotations, { "pulumi.com/skipAwait": "true" });
        assert.strictEqual(svc.spec.type, "ClusterIP");
        assert.deepStrictEqual(svc.spec.selector, selector);
        assert.deepStrictEqual(svc.spec.ports, [
            { name: "rpc", port: 7077, targetPort: "rpc", protocol: "TCP" },
            { name: "http", port: 8080, targetPort: "http", protocol: "TCP" },
        ]);
        const c = master.spec.template.spec.containers[0];
        assert.deepStrictEqual(c.args, ["master"]);
        assert.deepStrictEqual(
            c.ports.map((p: any) => [p.name, p.containerPort]),
            [
                ["rpc", 7077],
                ["http", 8080],
            ],
        );
        const masterSize = { cpu: "1", memory: "1Gi", "ephemeral-storage": "1792Mi" };
        assert.deepStrictEqual(c.resources, { requests: masterSize, limits: masterSize });
        assert.deepStrictEqual(env(c), {
            SPARK_MASTER_HOST: { fieldRef: { fieldPath: "status.podIP" } },
            SPARK_LOCAL_HOSTNAME: { fieldRef: { fieldPath: "status.podIP" } },
            SPARK_MASTER_PORT: "7077",
            SPARK_MASTER_WEBUI_PORT: "8080",
            SPARK_DAEMON_MEMORY: "768m",
            SPARK_RECOVERY_DIR: "/opt/spark/recovery/spark-4.3.0",
            SPARK_AUTH_SECRET_FILE: "/etc/spark/auth/secret",
            SPARK_NETWORK_CRYPTO: "true",
        });
        assertProbes(c, "master");
    });

    it("annotates both Deployments (not their pod templates) with the scanner's accepted findings", () => {
        for (const name of ["spark-master", "spark-worker"]) {
            const d = one(e.resources, DEPLOYMENT, name).inputs;
            // minikube: a tag without registry digest, pulled IfNotPresent.
            const scanner = Object.entries(d.metadata.annotations).filter(([k]) => k.startsWith("checkov.io/"));
            assert.deepStrictEqual(
                scanner.map(([, v]: [string, any]) => v.split("=")[0]),
                ["CKV_K8S_40", "CKV_K8S_43", "CKV_K8S_15"],
                name,
            );
            assert.deepStrictEqual(
                scanner.map(([k]) => k),
                ["checkov.io/skip1", "checkov.io/skip2", "checkov.io/skip3"],
            );
            // Pod templates carry only the scrape annotations: a scanner change never rolls pods.
            assert.ok(!Object.keys(d.spec.template.metadata.annotations).some((k) => k.startsWith("checkov.io/")), name);
        }
    });

    it("sizes workers with requests = limits, mirrored into Spark's env with JVM overhead kept out", () => {
        const w = one(e.resources, DEPLOYMENT, "spark-worker").inputs;
        assert.strictEqual(w.spec.replicas, 3);
        assert.deepStrictEqual(w.spec.strategy, { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } });
        const selector = {
            "app.kubernetes.io/name": "spark",
            "app.kubernetes.io/instance": "spark",
            "app.kubernetes.io/component": "worker",
        };
        assert.deepStrictEqual(w.spec.selector.matchLabels, selector);
        for (const [k, v] of Object.entries(selector)) {
            assert.strictEqual(w.spec.template.metadata.labels[k], v);
        }
        const c = w.spec.template.spec.containers[0];
        assert.deepStrictEqual(c.args, ["worker"]);
        // Scratch (/tmp) 4Gi + work/ 2Gi + 512Mi of logs: the pod alone is evicted past it.
        const sized = { cpu: "1", memory: "1Gi", "ephemeral-storage": "6656Mi" };
        assert.deepStrictEqual(c.resources, { requests: sized, limits: sized });
        const volumes = w.spec.template.spec.volumes;
        assert.deepStrictEqual(
            volumes.find((v: any) => v.name === "tmp"),
            { name: "tmp", emptyDir: { sizeLimit: "4096Mi" } },
        );
        assert.deepStrictEqual(
            volumes.find((v: any) => v.name === "work"),
            { name: "work", emptyDir: { sizeLimit: "2048Mi" } },
        );
        assert.deepStrictEqual(env(c), {
            SPARK_LOCAL_IP: { fieldRef: { fieldPath: "status.podIP" } },
            SPARK_LOCAL_HOSTNAME: { fieldRef: { fieldPath: "status.podIP" } },
            SPARK_MASTER_URL: "spark://spark-master.spark-dev.svc.cluster.local:7077",
            SPARK_WORKER_CORES: "1",
            SPARK_WORKER_MEMORY: "544m",
            SPARK_WORKER_PORT: "7078",
            SPARK_WORKER_WEBUI_PORT: "8081",
            SPARK_WORKER_DIR: "/opt/spark/work",
            SPARK_DAEMON_MEMORY: "192m",
            SPARK_WORKER_DECOMMISSION_TIMEOUT: "60",
            SPARK_AUTH_SECRET_FILE: "/etc/spark/auth/secret",
            SPARK_NETWORK_CRYPTO: "true",
        });
        assert.deepStrictEqual(
            c.ports.map((p: any) => [p.name, p.containerPort]),
            [
                ["rpc", 7078],
                ["http", 8081],
            ],
        );
        assertProbes(c, "worker");
        assert.deepStrictEqual(
            w.spec.template.spec.topologySpreadConstraints.map((t: any) => [
                t.topologyKey,
                t.maxSkew,
                t.whenUnsatisfiable,
                t.labelSelector.matchLabels,
            ]),
            [
                ["kubernetes.io/hostname", 1, "ScheduleAnyway", selector],
                ["topology.kubernetes.io/zone", 1, "ScheduleAnyway", selector],
            ],
        );
    });

    it("runs every pod non-root, read-only, without an API token, on the image built for it", () => {
        for (const name of ["spark-master", "spark-worker"]) {
            const pod = one(e.resources, DEPLOYMENT, name).inputs.spec.template.spec;
            assert.strictEqual(pod.serviceAccountName, "spark-spark");
            assert.strictEqual(pod.automountServiceAccountToken, false);
            assert.strictEqual(pod.securityContext.runAsNonRoot, true);
            assert.strictEqual(pod.securityContext.runAsUser, 185);
            const c = pod.containers[0];
            assert.strictEqual(c.image, e.outputs.image);
            assert.strictEqual(c.imagePullPolicy, "IfNotPresent");
            assert.deepStrictEqual(c.securityContext.capabilities, { drop: ["ALL"] });
            assert.strictEqual(c.securityContext.readOnlyRootFilesystem, true);
            assert.strictEqual(c.securityContext.allowPrivilegeEscalation, false);
            assert.deepStrictEqual(
                c.volumeMounts.map((m: any) => m.mountPath),
                // Only the master mounts its recovery claim.
                ["/opt/spark/work", "/tmp", "/etc/spark/auth", ...(name === "spark-master" ? ["/opt/spark/recovery"] : [])],
            );
        }
        assert.strictEqual(one(e.resources, "kubernetes:core/v1:ServiceAccount").inputs.automountServiceAccountToken, false);
    });

    it("turns on RPC authentication with a generated secret, mounted read-only and passed by file", () => {
        const secret = one(e.resources, "kubernetes:core/v1:Secret").inputs;
        assert.strictEqual(secret.metadata.name, "spark-rpc-auth");
        assert.strictEqual(secret.metadata.namespace, "spark-dev");
        assert.strictEqual(secret.type, "Opaque");
        // A secret for the engine (Pulumi's secret marker wraps the data) of 64 hex characters.
        assert.strictEqual(secret.stringData["4dabf18193072939515e22adb298388d"], "1b47061264138c4ac30d75fd1eb44270");
        const value = { value: secret.stringData.value.secret as string };
        assert.match(value.value, /^[0-9a-f]{64}$/);
        for (const name of ["spark-master", "spark-worker"]) {
            const pod = one(e.resources, DEPLOYMENT, name).inputs.spec.template.spec;
            assert.deepStrictEqual(
                pod.volumes.find((v: any) => v.name === "rpc-auth"),
                { name: "rpc-auth", secret: { secretName: "spark-rpc-auth", defaultMode: 0o440 } },
            );
            const c = pod.containers[0];
            assert.deepStrictEqual(
                c.volumeMounts.find((m: any) => m.name === "rpc-auth"),
                { name: "rpc-auth", mountPath: "/etc/spark/auth", readOnly: true },
            );
            // Never the value itself in the pod spec.
            assert.ok(!JSON.stringify(pod).includes(value.value), name);
        }
        assert.ok(!JSON.stringify(e.outputs).includes(value.value), "outputs must not carry the RPC secret");
    });

    it("leaves RPC authentication off when the stack says so, and with it encryption (its keys come from the secret)", async () => {
        const off = await evaluate({ rpcAuth: "false" });
        assert.deepStrictEqual(all(off.resources, "kubernetes:core/v1:Secret"), []);
        const c = one(off.resources, DEPLOYMENT, "spark-worker").inputs.spec.template.spec.containers[0];
        assert.ok(!c.env.some((v: any) => v.name === "SPARK_AUTH_SECRET_FILE" || v.name === "SPARK_NETWORK_CRYPTO"));
        assert.ok(!c.volumeMounts.some((m: any) => m.name === "rpc-auth"));
        assert.strictEqual(off.outputs.networkCrypto, false);
    });

    it("encrypts RPC and block transfers by default, and not with networkCrypto false", async () => {
        for (const name of ["spark-master", "spark-worker"]) {
            const env = one(e.resources, DEPLOYMENT, name).inputs.spec.template.spec.containers[0].env;
            assert.deepStrictEqual(
                env.find((v: any) => v.name === "SPARK_NETWORK_CRYPTO"),
                { name: "SPARK_NETWORK_CRYPTO", value: "true" },
                name,
            );
        }
        const authOnly = await evaluate({ networkCrypto: "false" });
        const env = one(authOnly.resources, DEPLOYMENT, "spark-worker").inputs.spec.template.spec.containers[0].env;
        assert.ok(env.some((v: any) => v.name === "SPARK_AUTH_SECRET_FILE"));
        assert.ok(!env.some((v: any) => v.name === "SPARK_NETWORK_CRYPTO"));
        assert.strictEqual(authOnly.outputs.networkCrypto, false);
    });

    it("lets only the cluster's own pods and labelled clients reach the RPC ports", () => {
        const np = one(e.resources, "kubernetes:networking.k8s.io/v1:NetworkPolicy").inputs;
        const own = { "app.kubernetes.io/name": "spark", "app.kubernetes.io/instance": "spark" };
        assert.strictEqual(np.metadata.namespace, "spark-dev");
        assert.deepStrictEqual(np.spec, {
            podSelector: { matchLabels: own },
            policyTypes: ["Ingress"],
            ingress: [
                { from: [{ podSelector: { matchLabels: own } }, { podSelector: { matchLabels: { "spark-on-k8s/client": "true" } } }] },
                {
                    ports: [
                        { port: 8080, protocol: "TCP" },
                        { port: 8081, protocol: "TCP" },
                    ],
                },
            ],
        });
        // The policy's selector covers both workloads' pods.
        for (const name of ["spark-master", "spark-worker"]) {
            const labels = one(e.resources, DEPLOYMENT, name).inputs.spec.template.metadata.labels;
            for (const [k, v] of Object.entries(own)) {
                assert.strictEqual(labels[k], v, name);
            }
        }
    });

    it("gives workers time to decommission and advertises the Prometheus endpoints", async () => {
        const w = one(e.resources, DEPLOYMENT, "spark-worker").inputs.spec.template;
        assert.strictEqual(w.spec.terminationGracePeriodSeconds, 90);
        assert.deepStrictEqual(w.metadata.annotations, {
            "prometheus.io/scrape": "true",
            "prometheus.io/port": "8081",
            "prometheus.io/path": "/metrics/prometheus",
        });
        const m = one(e.resources, DEPLOYMENT, "spark-master").inputs.spec.template;
        assert.strictEqual(m.metadata.annotations["prometheus.io/port"], "8080");
        const quick = await evaluate({ workerDecommissionSeconds: "0" });
        const q = one(quick.resources, DEPLOYMENT, "spark-worker").inputs.spec.template.spec;
        assert.strictEqual(q.terminationGracePeriodSeconds, 30);
        assert.strictEqual(q.containers[0].env.find((v: any) => v.name === "SPARK_WORKER_DECOMMISSION_TIMEOUT").value, "0");
    });

    it("protects workers with a disruption budget and sizes quota and limits from the config", () => {
        const pdb = one(e.resources, "kubernetes:policy/v1:PodDisruptionBudget").inputs;
        assert.strictEqual(pdb.spec.maxUnavailable, 1);
        assert.deepStrictEqual(
            pdb.spec.selector.matchLabels,
            one(e.resources, DEPLOYMENT, "spark-worker").inputs.spec.selector.matchLabels,
        );
        // master 1 core/1Gi/1792Mi disk + (4 max workers + 1 rollout surge) x 1 core/1Gi/6656Mi disk
        assert.deepStrictEqual(one(e.resources, "kubernetes:core/v1:ResourceQuota").inputs.spec.hard, {
            pods: "6",
            "requests.cpu": "6",
            "limits.cpu": "6",
            "requests.memory": "6144Mi",
            "limits.memory": "6144Mi",
            "requests.ephemeral-storage": "35072Mi",
            "limits.ephemeral-storage": "35072Mi",
            "services.nodeports": "0",
            "services.loadbalancers": "0",
            // The master's recovery claim.
            persistentvolumeclaims: "1",
            "requests.storage": "1024Mi",
        });
        assert.deepStrictEqual(one(e.resources, "kubernetes:core/v1:LimitRange").inputs.spec.limits, [
            {
                type: "Container",
                default: { cpu: "1", memory: "1024Mi", "ephemeral-storage": "1Gi" },
                defaultRequest: { cpu: "1", memory: "1024Mi", "ephemeral-storage": "1Gi" },
                max: { cpu: "1", memory: "1024Mi", "ephemeral-storage": "6656Mi" },
            },
        ]);
    });

    it("builds the image into minikube's Docker without pushing, tagged by version and content", () => {
        const image = one(e.resources, "docker:index/image:Image").inputs;
        assert.match(image.imageName, /^spark-on-k8s\/spark:4\.3\.0-[0-9a-f]{12}$/);
        assert.strictEqual(image.skipPush, true);
        assert.strictEqual(image.registry, undefined);
        assert.deepStrictEqual(image.build.args, { SPARK_VERSION: "4.3.0" });
        assert.strictEqual(image.build.platform, "linux/amd64");
        assert.strictEqual(e.outputs.image, image.imageName);
    });

    it("exports the output contract", () => {
        const { clusters, ...flat } = e.outputs;
        const expected = {
            namespace: "spark-dev",
            masterUrl: "spark://spark-master.spark-dev.svc.cluster.local:7077",
            masterWebUiUrl: "http://spark-master.spark-dev.svc.cluster.local:8080",
            portForwardCommand: "kubectl --context minikube -n spark-dev port-forward svc/spark-master 8080:8080",
            image: e.outputs.image,
            sparkVersion: "4.3.0",
            workerReplicas: 3,
            rpcAuthSecretName: "spark-rpc-auth",
            networkCrypto: true,
            historyServerUrl: undefined,
            eventLogClaimName: undefined,
            masterRecoveryClaimName: "spark-master-recovery",
            connectUrl: undefined,
            connectTokenSecretName: undefined,
            connectCaCert: undefined,
            connectCaConfigMapName: undefined,
            connectPortForwardCommand: undefined,
            connectLoadBalancerUrl: undefined,
        };
        assert.deepStrictEqual(flat, { target: "minikube", clusterName: undefined, kubeconfig: undefined, ...expected });
        assert.deepStrictEqual(clusters, { spark: expected });
    });
});

describe("SparkCluster with the History Server", () => {
    let e: Evaluation;
    before(async () => {
        e = await evaluate({ namespace: "spark-dev", historyServer: "true", eventLogStorageClass: "nfs", eventLogSize: "20Gi" });
    });

    it("adds a ReadWriteMany event-log claim, the History Server and its Service, and nothing else", () => {
        const added = k8sObjects(e)
            .map((r) => `${r.type} ${r.name}`)
            .filter((n) => /history|event-logs/.test(n))
            .sort();
        assert.deepStrictEqual(added, [
            "kubernetes:apps/v1:Deployment spark-history",
            "kubernetes:core/v1:PersistentVolumeClaim spark-event-logs",
            "kubernetes:core/v1:Service spark-history-svc",
        ]);
        const claim = one(e.resources, "kubernetes:core/v1:PersistentVolumeClaim", "spark-event-logs").inputs;
        assert.strictEqual(claim.metadata.name, "spark-event-logs");
        assert.strictEqual(claim.metadata.namespace, "spark-dev");
        assert.deepStrictEqual(claim.spec, {
            accessModes: ["ReadWriteMany"],
            storageClassName: "nfs",
            resources: { requests: { storage: "20Gi" } },
        });
    });

    it("runs the History Server non-root on the claim, with no RPC secret and a Service on 18080", () => {
        const history = one(e.resources, DEPLOYMENT, "spark-history").inputs;
        assert.deepStrictEqual(history.spec.strategy, { type: "Recreate" });
        assert.strictEqual(history.spec.replicas, 1);
        const pod = history.spec.template.spec;
        const [c] = pod.containers;
        assert.deepStrictEqual(c.args, ["history"]);
        assertProbes(c, "history");
        assert.deepStrictEqual(env(c), {
            SPARK_EVENT_LOG_DIR: "/opt/spark/events",
            SPARK_HISTORY_UI_PORT: "18080",
            SPARK_DAEMON_MEMORY: "768m",
            SPARK_HISTORY_OPTS: "-Dspark.history.fs.cleaner.enabled=true -Dspark.history.fs.cleaner.maxAge=7d",
        });
        const historySize = { cpu: "0.5", memory: "1024Mi", "ephemeral-storage": "1792Mi" };
        assert.deepStrictEqual(c.resources, { requests: historySize, limits: historySize });
        assert.strictEqual(c.securityContext.readOnlyRootFilesystem, true);
        assert.strictEqual(c.securityContext.runAsNonRoot, true);
        assert.strictEqual(pod.automountServiceAccountToken, false);
        assert.deepStrictEqual(
            c.volumeMounts.map((m: any) => m.mountPath),
            ["/tmp", "/opt/spark/events"],
        );
        assert.deepStrictEqual(
            pod.volumes.map((v: any) => v.name),
            ["tmp", "event-logs"],
        );
        assert.deepStrictEqual(pod.volumes[1].persistentVolumeClaim, { claimName: "spark-event-logs" });
        const selector = {
            "app.kubernetes.io/name": "spark",
            "app.kubernetes.io/instance": "spark",
            "app.kubernetes.io/component": "history",
        };
        assert.deepStrictEqual(history.spec.selector.matchLabels, selector);
        assert.deepStrictEqual({ ...history.spec.template.metadata.labels, ...selector }, history.spec.template.metadata.labels);
        const svc = one(e.resources, SERVICE, "spark-history-svc").inputs;
        assert.deepStrictEqual(svc.spec.selector, history.spec.selector.matchLabels);
        assert.deepStrictEqual(svc.metadata.annotations, { "pulumi.com/skipAwait": "true" });
        assert.deepStrictEqual(svc.spec.ports, [{ name: "http", port: 18080, targetPort: "http", protocol: "TCP" }]);
    });

    it("mounts the claim in the workers (cluster-mode drivers write there), not in the master", () => {
        const mounts = (name: string) =>
            one(e.resources, DEPLOYMENT, name).inputs.spec.template.spec.containers[0].volumeMounts.map((m: any) => m.name);
        assert.ok(mounts("spark-worker").includes("event-logs"));
        assert.ok(!mounts("spark-master").includes("event-logs"));
    });

    it("makes room for it in the quota, opens its UI port, and exports its URL and the claim", () => {
        const quota = one(e.resources, "kubernetes:core/v1:ResourceQuota").inputs.spec.hard;
        // master 1 + 11 worker slots (2Gi each) + the History Server's half core and 1Gi.
        assert.deepStrictEqual([quota.pods, quota["requests.cpu"], quota["limits.memory"]], ["13", "12.5", `${1024 + 11 * 2048 + 1024}Mi`]);
        const policy = one(e.resources, "kubernetes:networking.k8s.io/v1:NetworkPolicy").inputs.spec;
        assert.deepStrictEqual(
            policy.ingress[1].ports.map((p: any) => p.port),
            [8080, 8081, 18080],
        );
        assert.strictEqual(e.outputs.historyServerUrl, "http://spark-history.spark-dev.svc.cluster.local:18080");
        assert.strictEqual(e.outputs.eventLogClaimName, "spark-event-logs");
        assert.strictEqual(e.outputs.clusters.spark.eventLogClaimName, "spark-event-logs");
    });
});

describe("SparkCluster on the existing target", () => {
    let e: Evaluation;
    let file: string;
    before(async () => {
        file = kubeconfigFile();
        e = await evaluate({ target: "existing", kubeconfigPath: file, kubeContext: "lab", image: "registry.example.com/spark:4.3.0" });
    });

    it("uses the given kubeconfig's content and context, and exports it only as a secret", async () => {
        const provider = one(e.resources, "pulumi:providers:kubernetes");
        assert.strictEqual(provider.name, "existing-k8s");
        assert.strictEqual(provider.inputs.context, "lab");
        // The engine receives it as a secret (Pulumi's secret signature wraps the value).
        assert.deepStrictEqual(provider.inputs.kubeconfig, { [SECRET_SIG]: SECRET_VALUE_SIG, value: fs.readFileSync(file, "utf8") });
        assert.ok(e.stack.kubeconfig);
        assert.strictEqual(await isSecret(e.stack.kubeconfig), true);
        assert.strictEqual(e.outputs.kubeconfig, fs.readFileSync(file, "utf8"));
        for (const r of k8sObjects(e)) {
            assert.match(r.provider ?? "", /::existing-k8s::/, r.name);
        }
    });

    it("deploys the prebuilt image as is, building nothing", () => {
        assert.deepStrictEqual(all(e.resources, "docker:index/image:Image"), []);
        for (const name of ["spark-master", "spark-worker"]) {
            assert.strictEqual(
                one(e.resources, DEPLOYMENT, name).inputs.spec.template.spec.containers[0].image,
                "registry.example.com/spark:4.3.0",
            );
        }
        assert.strictEqual(e.outputs.image, "registry.example.com/spark:4.3.0");
        assert.strictEqual(e.outputs.portForwardCommand, "kubectl --context lab -n spark port-forward svc/spark-master 8080:8080");
    });

    it("uses the current context when none is given", async () => {
        const e2 = await evaluate({ target: "existing", image: "registry.example.com/spark:4.3.0" });
        const provider = one(e2.resources, "pulumi:providers:kubernetes");
        assert.strictEqual(provider.inputs.context, undefined);
        assert.strictEqual(provider.inputs.kubeconfig, undefined);
        assert.strictEqual(e2.outputs.kubeconfig, undefined);
        assert.strictEqual(e2.outputs.portForwardCommand, "kubectl -n spark port-forward svc/spark-master 8080:8080");
    });
});

describe("several SparkClusters on one Kubernetes cluster", () => {
    let e: Evaluation;
    before(async () => {
        e = await evaluate({
            clusters: JSON.stringify([
                { name: "etl", workerReplicas: 4, workerCores: 2, workerMemory: "4Gi" },
                { name: "adhoc", namespace: "spark-adhoc", sparkVersion: "3.5.9" },
            ]),
        });
    });

    it("gives each cluster its own namespace and objects, on one provider", () => {
        const namespaces = all(e.resources, "kubernetes:core/v1:Namespace").map((r) => r.inputs.metadata.name);
        assert.deepStrictEqual(namespaces.sort(), ["etl", "spark-adhoc"]);
        assert.strictEqual(all(e.resources, "pulumi:providers:kubernetes").length, 1);
        assert.strictEqual(all(e.resources, DEPLOYMENT).length, 4);
        const etlWorker = one(e.resources, DEPLOYMENT, "etl-worker").inputs;
        assert.strictEqual(etlWorker.metadata.namespace, "etl");
        assert.strictEqual(etlWorker.spec.replicas, 4);
        assert.strictEqual(env(etlWorker.spec.template.spec.containers[0]).SPARK_WORKER_CORES, "2");
        assert.strictEqual(
            env(etlWorker.spec.template.spec.containers[0]).SPARK_MASTER_URL,
            "spark://etl-master.etl.svc.cluster.local:7077",
        );
        const adhocWorker = one(e.resources, DEPLOYMENT, "adhoc-worker").inputs;
        assert.strictEqual(adhocWorker.metadata.namespace, "spark-adhoc");
        assert.strictEqual(adhocWorker.spec.replicas, 2);
        assert.strictEqual(
            env(adhocWorker.spec.template.spec.containers[0]).SPARK_MASTER_URL,
            "spark://adhoc-master.spark-adhoc.svc.cluster.local:7077",
        );
    });

    it("builds one image per Spark version", () => {
        const images = all(e.resources, "docker:index/image:Image").map((r) => r.inputs.build.args.SPARK_VERSION);
        assert.deepStrictEqual(images.sort(), ["3.5.9", "4.3.0"]);
        assert.match(e.outputs.clusters.adhoc.image, /:3\.5\.9-/);
        assert.match(e.outputs.clusters.etl.image, /:4\.3\.0-/);
    });

    it("exports every cluster by name, the first one flat", () => {
        assert.deepStrictEqual(Object.keys(e.outputs.clusters), ["etl", "adhoc"]);
        assert.strictEqual(e.outputs.namespace, "etl");
        assert.strictEqual(e.outputs.masterUrl, "spark://etl-master.etl.svc.cluster.local:7077");
        assert.strictEqual(e.outputs.clusters.adhoc.masterUrl, "spark://adhoc-master.spark-adhoc.svc.cluster.local:7077");
        assert.strictEqual(e.outputs.clusters.adhoc.workerReplicas, 2);
        assert.strictEqual(e.outputs.clusters.etl.workerReplicas, 4);
    });
});
