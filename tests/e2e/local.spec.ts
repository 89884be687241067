// The user's journeys on the real Pulumi engine and Kubernetes provider, against a real
// kube-apiserver with KWOK-simulated nodes, each checked in the cluster with kubectl.
// The journeys build on each other (up, scale, refuse, drift, disrupt, destroy), in order.
import * as assert from "assert";
import * as path from "path";
import {
    initStack,
    installKedaCrd,
    installPromCrds,
    kubectl,
    kubectlJson,
    localStackConfig,
    outputs,
    project,
    pulumi,
    readStackConfig,
    removeKedaCrd,
    removePromCrds,
    stackResources,
    waitFor,
    writeStackConfig,
} from "./harness";

const STACK = "local";
const NS = "spark-local";

function setConfig(values: Record<string, unknown>): void {
    const config = readStackConfig(STACK);
    for (const [k, v] of Object.entries(values)) {
        const key = `spark-on-k8s:${k}`;
        if (v === undefined) {
            delete config[key];
        } else {
            config[key] = v;
        }
    }
    writeStackConfig(STACK, config);
}

function up(): void {
    pulumi(["up", "--yes", "--skip-preview", "--stack", STACK]);
}

function available(name: string): number {
    const d = kubectlJson(["-n", NS, "get", "deployment", name]);
    return d.status?.availableReplicas ?? 0;
}

/** resourceVersion of every object the stack manages in the namespace. */
function resourceVersions(): Record<string, string> {
    const list = kubectlJson(["-n", NS, "get", "deployments,services,resourcequotas,limitranges,poddisruptionbudgets,serviceaccounts"]);
    return Object.fromEntries(list.items.map((o: any) => [`${o.kind}/${o.metadata.name}`, o.metadata.resourceVersion]));
}

describe("the local stack on the real engine (simulated nodes)", function () {
    this.timeout(240_000);

    before(() => {
        writeStackConfig(STACK, localStackConfig());
        initStack(STACK);
    });

    it("1. pulumi up deploys master, workers, Service, quota, limits and PDB, and exports the contract", () => {
        up();
        assert.strictEqual(available("spark-master"), 1);
        assert.strictEqual(available("spark-worker"), 2);
        const svc = kubectlJson(["-n", NS, "get", "service", "spark-master"]);
        assert.deepStrictEqual(
            svc.spec.ports.map((p: any) => [p.name, p.port]),
            [
                ["rpc", 7077],
                ["http", 8080],
            ],
        );
        assert.strictEqual(svc.spec.type, "ClusterIP");
        kubectl(["-n", NS, "get", "resourcequota", "spark-quota"]);
        kubectl(["-n", NS, "get", "limitrange", "spark-limits"]);
        // RPC authentication: a generated 64-hex secret, and the NetworkPolicy around the RPC ports.
        const secret = kubectlJson(["-n", NS, "get", "secret", "spark-rpc-auth"]);
        assert.match(Buffer.from(secret.data.secret, "base64").toString(), /^[0-9a-f]{64}$/);
        const np = kubectlJson(["-n", NS, "get", "networkpolicy", "spark-spark"]);
        assert.deepStrictEqual(np.spec.policyTypes, ["Ingress"]);
        const pdb = kubectlJson(["-n", NS, "get", "poddisruptionbudget", "spark-worker"]);
        assert.strictEqual(pdb.spec.maxUnavailable, 1);
        const worker = kubectlJson(["-n", NS, "get", "deployment", "spark-worker"]);
        const env = Object.fromEntries(worker.spec.template.spec.containers[0].env.map((e: any) => [e.name, e.value]));
        assert.strictEqual(env.SPARK_MASTER_URL, "spark://spark-master.spark-local.svc.cluster.local:7077");
        // Spread over the simulated zones: two workers never share one when three are free.
        const pods = kubectlJson(["-n", NS, "get", "pods", "-l", "app.kubernetes.io/component=worker"]).items;
        const nodes = new Set(pods.map((p: any) => p.spec.nodeName));
        assert.strictEqual(nodes.size, 2, `workers on ${[...nodes].join(", ")}`);

        const out = outputs(STACK);
        assert.strictEqual(out.target, "existing");
        assert.strictEqual(out.namespace, NS);
        assert.strictEqual(out.masterUrl, "spark://spark-master.spark-local.svc.cluster.local:7077");
        assert.strictEqual(out.masterWebUiUrl, "http://spark-master.spark-local.svc.cluster.local:8080");
        assert.strictEqual(out.portForwardCommand, "kubectl --context spark-local -n spark-local port-forward svc/spark-master 8080:8080");
        assert.strictEqual(out.image, "spark-on-k8s/spark:4.3.0-local");
        assert.strictEqual(out.sparkVersion, "4.3.0");
        assert.strictEqual(out.workerReplicas, 2);
        assert.match(out.kubeconfig, /current-context: spark-local/);
        assert.deepStrictEqual(Object.keys(out.clusters), ["spark"]);
        // The kubeconfig is stored encrypted: a plain `stack output` shows it masked.
        const masked = JSON.parse(pulumi(["stack", "output", "--json", "--stack", STACK]).stdout);
        assert.strictEqual(masked.kubeconfig, "[secret]");
    });

    it("2. a workerReplicas edit previews as exactly one update and scales the workers, to 0 and back", async () => {
        setConfig({ workerReplicas: 3 });
        const preview = JSON.parse(pulumi(["preview", "--json", "--diff", "--stack", STACK]).stdout);
        const changed = preview.steps.filter((s: any) => s.op !== "same");
        assert.deepStrictEqual(
            changed.map((s: any) => [s.op, s.urn.split("::").pop()]),
            [["update", "spark-worker"]],
        );
        assert.deepStrictEqual(Object.keys(changed[0].detailedDiff), ["spec.replicas"]);
        assert.deepStrictEqual(Object.keys(preview.changeSummary), ["same", "update"]);
        assert.strictEqual(preview.changeSummary.update, 1);
        up();
        assert.strictEqual(available("spark-worker"), 3);
        assert.strictEqual(outputs(STACK).workerReplicas, 3);

        setConfig({ workerReplicas: 0 });
        up();
        await waitFor(
            "no worker pods",
            30_000,
            () => kubectlJson(["-n", NS, "get", "pods", "-l", "app.kubernetes.io/component=worker"]).items.length === 0,
        );
        setConfig({ workerReplicas: 2 });
        up();
        assert.strictEqual(available("spark-worker"), 2);
    });

    it("2b. with autoscaling on, an HPA owns the worker count and workerReplicas edits no longer fight it", async () => {
        setConfig({ autoscaling: { mode: "cpu", minReplicas: 1, maxReplicas: 4 } });
        up();
        const hpa = kubectlJson(["-n", NS, "get", "horizontalpodautoscaler", "spark-worker"]);
        assert.deepStrictEqual([hpa.spec.minReplicas, hpa.spec.maxReplicas, hpa.spec.scaleTargetRef.name], [1, 4, "spark-worker"]);
        // What an autoscaler does: the next pulumi up must leave it alone.
        kubectl(["-n", NS, "scale", "deployment/spark-worker", "--replicas=3"]);
        setConfig({ workerReplicas: 1 });
        const preview = JSON.parse(pulumi(["preview", "--json", "--stack", STACK]).stdout);
        assert.deepStrictEqual(
            preview.steps.filter((s: any) => s.op !== "same").map((s: any) => s.op),
            [],
        );
        up();
        assert.strictEqual(kubectlJson(["-n", NS, "get", "deployment", "spark-worker"]).spec.replicas, 3);

        // Turning it off: --refresh reads the autoscaler's count back, so up resets it to workerReplicas.
        setConfig({ autoscaling: undefined, workerReplicas: 2 });
        pulumi(["up", "--yes", "--skip-preview", "--refresh", "--stack", STACK]);
        assert.notStrictEqual(kubectl(["-n", NS, "get", "horizontalpodautoscaler", "spark-worker"], { allowFail: true }).code, 0);
        await waitFor(
            "two workers again",
            60_000,
            () => available("spark-worker") === 2 && kubectlJson(["-n", NS, "get", "deployment", "spark-worker"]).spec.replicas === 2,
        );
    });

    it("2c. keda mode: the ScaledObject passes KEDA's real CRD schema, its count is not fought, and turning it off removes it", async () => {
        // KEDA's own CRD (KEDA_VERSION in scripts/versions.env): the API server checks what we send
        // against its structural schema. The KEDA operator and its webhook do not run here, so
        // nothing scales by itself: the kubectl scale below stands in for KEDA.
        installKedaCrd();
        setConfig({ autoscaling: { mode: "keda", minReplicas: 0, maxReplicas: 4 } });
        up();
        const so = kubectlJson(["-n", NS, "get", "scaledobjects.keda.sh", "spark-worker"]);
        const sent = stackResources(STACK).find((r) => r.type === "kubernetes:keda.sh/v1alpha1:ScaledObject");
        assert.ok(sent, "the stack's state should hold the ScaledObject");
        // Stored exactly as sent: the schema prunes fields it does not know, so a field it
        // dropped (or a value it defaulted) would show here.
        assert.deepStrictEqual(so.spec, sent.inputs.spec);
        assert.deepStrictEqual(
            [so.spec.scaleTargetRef, so.spec.minReplicaCount, so.spec.maxReplicaCount],
            [{ apiVersion: "apps/v1", kind: "Deployment", name: "spark-worker" }, 0, 4],
        );
        const url = `${outputs(STACK).masterWebUiUrl}/json/`;
        assert.strictEqual(url, "http://spark-master.spark-local.svc.cluster.local:8080/json/");
        assert.deepStrictEqual(
            so.spec.triggers.map((t: any) => [t.type, t.name, t.metadata.url, t.metadata.valueLocation, t.metadata.format]),
            [
                ["metrics-api", "coresused", url, "coresused", "json"],
                ["metrics-api", "waiting", url, 'activeapps.#(state=="WAITING")#|#', "json"],
            ],
        );
        // The formula that adds them up survived the schema too (KEDA's enum on its metricType).
        assert.strictEqual(so.spec.advanced.scalingModifiers.formula, "coresused / 0.8 + waiting * 1");
        // Strict field validation of the same spec (unknown fields fail instead of being pruned),
        // and two controls showing the schema is really enforced.
        const create = (spec: Record<string, unknown>) =>
            kubectl(["create", "--dry-run=server", "--validate=strict", "-f", "-"], {
                allowFail: true,
                input: JSON.stringify({
                    apiVersion: "keda.sh/v1alpha1",
                    kind: "ScaledObject",
                    metadata: { name: "check", namespace: NS },
                    spec,
                }),
            });
        const strict = create(sent.inputs.spec);
        assert.strictEqual(strict.code, 0, strict.stderr);
        const unknownField = create({ ...sent.inputs.spec, minReplicas: 0 });
        assert.notStrictEqual(unknownField.code, 0, "an unknown field should be refused");
        assert.match(unknownField.stderr, /unknown field "spec.minReplicas"/);
        const [first, ...rest] = sent.inputs.spec.triggers;
        const wrongType = create({
            ...sent.inputs.spec,
            triggers: [{ ...first, metadata: { ...first.metadata, targetValue: 0.8 } }, ...rest],
        });
        assert.notStrictEqual(wrongType.code, 0, "a number where the schema wants a string should be refused");
        assert.match(wrongType.stderr, /spec.triggers\[0\].metadata.targetValue/);

        // What KEDA does with an idle cluster (minReplicas 0): scale the workers to zero. Neither
        // a workerReplicas edit's preview nor up may take that back.
        kubectl(["-n", NS, "scale", "deployment/spark-worker", "--replicas=0"]);
        setConfig({ workerReplicas: 1 });
        const preview = JSON.parse(pulumi(["preview", "--json", "--stack", STACK]).stdout);
        assert.deepStrictEqual(
            preview.steps.filter((s: any) => s.op !== "same").map((s: any) => [s.op, s.urn.split("::").pop()]),
            [],
        );
        up();
        assert.strictEqual(kubectlJson(["-n", NS, "get", "deployment", "spark-worker"]).spec.replicas, 0);

        // Turning it off (with --refresh, as the README says) removes the ScaledObject and resets
        // the count to workerReplicas.
        setConfig({ autoscaling: undefined, workerReplicas: 2 });
        pulumi(["up", "--yes", "--skip-preview", "--refresh", "--stack", STACK]);
        assert.notStrictEqual(kubectl(["-n", NS, "get", "scaledobjects.keda.sh", "spark-worker"], { allowFail: true }).code, 0);
        assert.deepStrictEqual(
            stackResources(STACK).filter((r) => r.type === "kubernetes:keda.sh/v1alpha1:ScaledObject"),
            [],
        );
        await waitFor(
            "two workers again",
            60_000,
            () => available("spark-worker") === 2 && kubectlJson(["-n", NS, "get", "deployment", "spark-worker"]).spec.replicas === 2,
        );
        // The CRD goes only now: on a failure above it stays, so the stack's ScaledObject can
        // still be read and destroyed by the journeys after this one.
        removeKedaCrd();
        assert.notStrictEqual(kubectl(["get", "crd", "scaledobjects.keda.sh"], { allowFail: true }).code, 0);
    });

    it("2d. every option on at once: History Server on its claim, master recovery, KEDA, RPC auth, decommission, rollout width, Spark Connect", async () => {
        installKedaCrd();
        setConfig({
            masterRecovery: "on",
            historyServer: true,
            eventLogSize: "2Gi",
            autoscaling: { mode: "keda", minReplicas: 1, maxReplicas: 4 },
            rpcAuth: true,
            workerDecommissionSeconds: 30,
            workerMaxUnavailable: 2,
            connect: { cores: 1, memory: "1Gi" },
        });
        up();
        // The event-log claim, bound ReadWriteMany through the local cluster's default class.
        const claim = kubectlJson(["-n", NS, "get", "persistentvolumeclaim", "spark-event-logs"]);
        assert.deepStrictEqual(
            [claim.status.phase, claim.spec.accessModes, claim.spec.storageClassName, claim.spec.resources.requests.storage],
            ["Bound", ["ReadWriteMany"], "standard", "2Gi"],
        );
        // The master's recovery claim, ReadWriteOnce, bound, mounted by the master alone.
        const recovery = kubectlJson(["-n", NS, "get", "persistentvolumeclaim", "spark-master-recovery"]);
        assert.deepStrictEqual(
            [recovery.status.phase, recovery.spec.accessModes, recovery.spec.storageClassName, recovery.spec.resources.requests.storage],
            ["Bound", ["ReadWriteOnce"], "standard", "1Gi"],
        );
        const masterPod = kubectlJson(["-n", NS, "get", "deployment", "spark-master"]).spec.template.spec;
        assert.deepStrictEqual(masterPod.volumes.find((v: any) => v.name === "recovery").persistentVolumeClaim, {
            claimName: "spark-master-recovery",
        });
        assert.ok(
            masterPod.containers[0].env.some((e: any) => e.name === "SPARK_RECOVERY_DIR" && e.value === "/opt/spark/recovery/spark-4.3.0"),
        );
        assert.strictEqual(available("spark-master"), 1);
        assert.strictEqual(available("spark-history"), 1);
        const history = kubectlJson(["-n", NS, "get", "deployment", "spark-history"]).spec.template.spec;
        assert.deepStrictEqual(history.containers[0].args, ["history"]);
        assert.deepStrictEqual(history.volumes.find((v: any) => v.name === "event-logs").persistentVolumeClaim, {
            claimName: "spark-event-logs",
        });
        const svc = kubectlJson(["-n", NS, "get", "service", "spark-history"]);
        assert.deepStrictEqual(
            svc.spec.ports.map((p: any) => p.port),
            [18080],
        );
        // Workers mount the claim (cluster-mode drivers), decommission for 30 s, roll 2 at a time.
        const worker = kubectlJson(["-n", NS, "get", "deployment", "spark-worker"]);
        const pod = worker.spec.template.spec;
        assert.ok(pod.containers[0].volumeMounts.some((m: any) => m.name === "event-logs" && m.mountPath === "/opt/spark/events"));
        assert.strictEqual(pod.terminationGracePeriodSeconds, 60);
        assert.strictEqual(worker.spec.strategy.rollingUpdate.maxUnavailable, 2);
        kubectl(["-n", NS, "get", "scaledobjects.keda.sh", "spark-worker"]);
        kubectl(["-n", NS, "get", "secret", "spark-rpc-auth"]);
        const out = outputs(STACK);
        assert.strictEqual(out.historyServerUrl, "http://spark-history.spark-local.svc.cluster.local:18080");
        assert.strictEqual(out.eventLogClaimName, "spark-event-logs");
        assert.strictEqual(out.masterRecoveryClaimName, "spark-master-recovery");
        // Spark Connect: its server (the connect role, the token by file), Service and token Secret.
        assert.strictEqual(available("spark-connect"), 1);
        const connect = kubectlJson(["-n", NS, "get", "deployment", "spark-connect"]);
        assert.strictEqual(connect.spec.strategy.type, "Recreate");
        assert.deepStrictEqual(
            connect.spec.template.spec.containers.map((c: any) => c.args),
            [["connect"], ["connect-tls"]],
        );
        assert.deepStrictEqual(
            kubectlJson(["-n", NS, "get", "service", "spark-connect"]).spec.ports.map((p: any) => p.port),
            [15002],
        );
        const token = Buffer.from(kubectlJson(["-n", NS, "get", "secret", "spark-connect-token"]).data.token, "base64").toString();
        assert.match(token, /^[0-9a-f]{64}$/);
        assert.ok(!JSON.stringify(connect).includes(token), "the token is in the Deployment");
        assert.ok(!JSON.stringify(out).includes(token), "the token is in the outputs");
        assert.strictEqual(out.connectUrl, "sc://spark-connect.spark-local.svc.cluster.local:15002");
        assert.strictEqual(out.connectTokenSecretName, "spark-connect-token");
        assert.match(out.connectPortForwardCommand, /-n spark-local port-forward deployment\/spark-connect 15002:15003$/);
        // TLS: the kubernetes.io/tls Secret the proxy mounts, and its CA published as it is stored
        // (the ConfigMap and the output read the live Secret, not a run's discarded new one).
        const tls = kubectlJson(["-n", NS, "get", "secret", "spark-connect-tls"]);
        assert.strictEqual(tls.type, "kubernetes.io/tls");
        const ca = Buffer.from(tls.data["ca.crt"], "base64").toString();
        assert.match(ca, /^-----BEGIN CERTIFICATE-----\n/);
        assert.strictEqual(kubectlJson(["-n", NS, "get", "configmap", "spark-connect-ca"]).data["ca.crt"], ca);
        assert.strictEqual(out.connectCaCert, ca);
        assert.strictEqual(out.connectCaConfigMapName, "spark-connect-ca");
        const key = Buffer.from(tls.data["tls.key"], "base64").toString();
        assert.ok(!JSON.stringify(connect).includes(key) && !JSON.stringify(out).includes(key), "the TLS key left its Secret");
        // With everything on, a second run changes nothing (the generated secrets included).
        const preview = JSON.parse(pulumi(["preview", "--json", "--stack", STACK]).stdout);
        assert.deepStrictEqual(
            preview.steps.filter((s: any) => s.op !== "same").map((s: any) => [s.op, s.urn.split("::").pop()]),
            [],
        );
        // Autoscaling and Connect go again (the History Server stays on for the journeys after this one).
        setConfig({ autoscaling: undefined, workerDecommissionSeconds: undefined, workerMaxUnavailable: undefined, connect: undefined });
        pulumi(["up", "--yes", "--skip-preview", "--refresh", "--stack", STACK]);
        await waitFor("two workers again", 60_000, () => available("spark-worker") === 2);
        for (const [kind, name] of [
            ["deployment", "spark-connect"],
            ["service", "spark-connect"],
            ["secret", "spark-connect-token"],
            ["secret", "spark-connect-tls"],
            ["configmap", "spark-connect-ca"],
        ]) {
            assert.notStrictEqual(kubectl(["-n", NS, "get", kind, name], { allowFail: true }).code, 0, `${kind}/${name} is still there`);
        }
        assert.strictEqual(outputs(STACK).connectUrl, undefined);
        removeKedaCrd();
    });

    it("2e. monitoring: without the Prometheus Operator's CRDs up fails naming the kind; with them (real schemas) the PodMonitors, rule and dashboard are admitted as sent, and turning it off removes them", () => {
        const MONITORING = { labels: { release: "kps" }, workersBelowForMinutes: 3 };
        setConfig({ monitoring: MONITORING });
        // No CRDs: the API server refuses the kind, and up says so (the documented behaviour).
        const refused = pulumi(["up", "--yes", "--skip-preview", "--stack", STACK], { allowFail: true });
        assert.notStrictEqual(refused.code, 0, "up should fail without the PodMonitor CRD");
        assert.match(refused.stdout + refused.stderr, /monitoring\.coreos\.com\/v1:(PodMonitor|PrometheusRule)/);

        installPromCrds();
        up();
        const sentOf = (type: string) => stackResources(STACK).filter((r) => r.type === type);
        const sentMonitors = sentOf("kubernetes:monitoring.coreos.com/v1:PodMonitor");
        // Master and workers; the History Server (on since 2d) serves no Prometheus text, so none for it.
        assert.deepStrictEqual(sentMonitors.map((r) => r.inputs.metadata.name).sort(), ["spark-master", "spark-worker"]);
        for (const sent of sentMonitors) {
            const stored = kubectlJson(["-n", NS, "get", "podmonitors.monitoring.coreos.com", sent.inputs.metadata.name]);
            // Stored exactly as sent: the schema prunes unknown fields, so a dropped field would show.
            assert.deepStrictEqual(stored.spec, sent.inputs.spec);
            assert.strictEqual(stored.metadata.labels.release, "kps");
        }
        const [sentRule] = sentOf("kubernetes:monitoring.coreos.com/v1:PrometheusRule");
        const rule = kubectlJson(["-n", NS, "get", "prometheusrules.monitoring.coreos.com", "spark-spark"]);
        assert.deepStrictEqual(rule.spec, sentRule.inputs.spec);
        assert.ok(rule.spec.groups[1].rules.some((r: any) => r.alert === "SparkWorkersBelowDesired" && r.for === "3m"));
        const cm = kubectlJson(["-n", NS, "get", "configmap", "spark-spark-dashboard"]);
        assert.strictEqual(cm.metadata.labels.grafana_dashboard, "1");
        assert.strictEqual(JSON.parse(cm.data["spark-spark-local-spark.json"]).uid, "spark-spark-local-spark");

        // Strict validation of the same objects, and controls showing the schemas are enforced.
        const create = (kind: string, spec: Record<string, unknown>) =>
            kubectl(["create", "--dry-run=server", "--validate=strict", "-f", "-"], {
                allowFail: true,
                input: JSON.stringify({ apiVersion: "monitoring.coreos.com/v1", kind, metadata: { name: "check", namespace: NS }, spec }),
            });
        const worker = sentMonitors.find((r) => r.inputs.metadata.name === "spark-worker").inputs.spec;
        for (const [kind, spec] of [
            ["PodMonitor", worker],
            ["PrometheusRule", sentRule.inputs.spec],
        ] as const) {
            const strict = create(kind, spec);
            assert.strictEqual(strict.code, 0, `${kind}: ${strict.stderr}`);
        }
        const unknownField = create("PodMonitor", {
            ...worker,
            podMetricsEndpoints: [{ ...worker.podMetricsEndpoints[0], metricsPath: "/x" }],
        });
        assert.notStrictEqual(unknownField.code, 0, "an unknown field should be refused");
        assert.match(unknownField.stderr, /unknown field "spec.podMetricsEndpoints\[0\].metricsPath"/);
        const badRule = create("PrometheusRule", { groups: [{ name: "g", rules: [{ alert: "A", expr: "up", for: "five minutes" }] }] });
        assert.notStrictEqual(badRule.code, 0, "a malformed duration should be refused");
        assert.match(badRule.stderr, /spec.groups\[0\].rules\[0\].for/);

        // Turning it off removes every monitoring object.
        setConfig({ monitoring: undefined });
        up();
        assert.strictEqual(kubectl(["-n", NS, "get", "podmonitors.monitoring.coreos.com", "-o", "name"]).stdout.trim(), "");
        assert.strictEqual(kubectl(["-n", NS, "get", "prometheusrules.monitoring.coreos.com", "-o", "name"]).stdout.trim(), "");
        assert.notStrictEqual(kubectl(["-n", NS, "get", "configmap", "spark-spark-dashboard"], { allowFail: true }).code, 0);
        assert.deepStrictEqual(
            stackResources(STACK).filter((r) => r.type.startsWith("kubernetes:monitoring.coreos.com/")),
            [],
        );
        removePromCrds();
    });

    it("6. a consumer stack reads the outputs through a StackReference and runs a spark-submit Job", () => {
        const cwd = path.join(project, "examples", "spark-job");
        pulumi(["stack", "init", STACK, "--secrets-provider", "passphrase"], { cwd });
        try {
            const preview = JSON.parse(pulumi(["preview", "--json", "--stack", STACK], { cwd }).stdout);
            const jobStep = preview.steps.find((s: any) => s.newState?.type === "kubernetes:batch/v1:Job");
            assert.ok(jobStep, "the consumer plans a Job");
            const container = jobStep.newState.inputs.spec.template.spec.containers[0];
            assert.ok(container.args.includes("spark://spark-master.spark-local.svc.cluster.local:7077"), container.args.join(" "));
            assert.strictEqual(container.image, "spark-on-k8s/spark:4.3.0-local");
            assert.strictEqual(jobStep.newState.inputs.metadata.namespace, NS);
            // The cluster has a History Server (2d): the driver writes its event log to the claim.
            assert.ok(container.env.some((e: any) => e.name === "SPARK_EVENT_LOG_DIR" && e.value === "/opt/spark/events"));
            assert.ok(
                jobStep.newState.inputs.spec.template.spec.volumes.some(
                    (v: any) => v.persistentVolumeClaim?.claimName === "spark-event-logs",
                ),
            );

            pulumi(["up", "--yes", "--skip-preview", "--stack", STACK], { cwd });
            const consumer = JSON.parse(pulumi(["stack", "output", "--json", "--stack", STACK], { cwd }).stdout);
            assert.strictEqual(consumer.namespace, NS);
            // Simulated nodes complete Job pods at once; the Job object is the real controller's.
            const job = kubectlJson(["-n", NS, "get", "job", consumer.jobName]);
            assert.strictEqual(job.status.succeeded, 1);
            assert.strictEqual(job.spec.template.metadata.labels["spark-on-k8s/client"], "true");
        } finally {
            pulumi(["destroy", "--yes", "--skip-preview", "--stack", STACK], { cwd, allowFail: true });
        }
    });

    // 4. Bad config stops `pulumi preview`, naming the key, and touches nothing.
    const badConfig: [string, Record<string, unknown>, RegExp][] = [
        ["negative workerReplicas", { workerReplicas: -1 }, /spark-on-k8s:workerReplicas = "-1": must be a whole number >= 0/],
        ["unknown target", { target: "gke" }, /spark-on-k8s:target = "gke": must be one of minikube, eks, aks, existing/],
        [
            "malformed workerMemory",
            { workerMemory: "2GB" },
            /spark-on-k8s:workerMemory = "2GB": must be a whole Kubernetes memory quantity/,
        ],
        ["workerCores below 1", { workerCores: 0 }, /spark-on-k8s:workerCores = "0": must be a whole number of cores >= 1/],
        ["unsupported sparkVersion", { sparkVersion: "2.4.8" }, /spark-on-k8s:sparkVersion = "2.4.8": .*3.5.x or 4.x.y/],
        ["invalid namespace", { namespace: "Spark_Local" }, /spark-on-k8s:namespace = "Spark_Local": must be a DNS-1123 label/],
        [
            "duplicate cluster namespaces",
            {
                clusters: [
                    { name: "a", namespace: "x" },
                    { name: "b", namespace: "x" },
                ],
            },
            /spark-on-k8s:clusters = "x": each cluster needs its own namespace/,
        ],
    ];
    for (const [title, values, message] of badConfig) {
        it(`4. bad config (${title}) stops pulumi preview naming the key, and touches nothing`, () => {
            const before = resourceVersions();
            assert.ok(Object.keys(before).length >= 6, "the stack's objects should be there to compare");
            const saved = readStackConfig(STACK);
            try {
                setConfig(values);
                const r = pulumi(["preview", "--stack", STACK], { allowFail: true });
                assert.notStrictEqual(r.code, 0, "preview should fail");
                assert.match(r.stdout + r.stderr, message);
                assert.deepStrictEqual(resourceVersions(), before);
            } finally {
                writeStackConfig(STACK, saved);
            }
        });
    }

    it("5. drift: a deleted worker Deployment is noticed by refresh and restored by up", () => {
        kubectl(["-n", NS, "delete", "deployment", "spark-worker", "--wait=true"]);
        const refresh = pulumi(["refresh", "--yes", "--skip-preview", "--stack", STACK, "--json"], { allowFail: true });
        assert.strictEqual(refresh.code, 0, refresh.stderr);
        const preview = JSON.parse(pulumi(["preview", "--json", "--stack", STACK]).stdout);
        const created = preview.steps.filter((s: any) => s.op === "create").map((s: any) => s.urn.split("::").pop());
        assert.deepStrictEqual(created, ["spark-worker"]);
        up();
        assert.strictEqual(available("spark-worker"), 2);
    });

    it("7. disruption: deleted worker pods heal, and evictions beyond the PDB are refused", async () => {
        const workers = () => kubectlJson(["-n", NS, "get", "pods", "-l", "app.kubernetes.io/component=worker"]).items;
        const first = workers().map((p: any) => p.metadata.name);
        kubectl(["-n", NS, "delete", "pod", first[0], "--wait=false"]);
        await waitFor(
            "the worker Deployment to heal",
            60_000,
            () => available("spark-worker") === 2 && !workers().some((p: any) => p.metadata.name === first[0]),
        );

        // A drain: with every node cordoned, evicted workers cannot come back at once, so the
        // budget (maxUnavailable 1) admits one eviction and the API server refuses the rest.
        const nodes = kubectlJson(["get", "nodes"]).items.map((n: any) => n.metadata.name);
        kubectl(["cordon", ...nodes]);
        const names = workers().map((p: any) => p.metadata.name);
        const results = names.map((name: string) =>
            kubectl(["create", "--raw", `/api/v1/namespaces/${NS}/pods/${name}/eviction`, "-f", "-"], {
                allowFail: true,
                input: JSON.stringify({ apiVersion: "policy/v1", kind: "Eviction", metadata: { name, namespace: NS } }),
            }),
        );
        const refused = results.filter((r: any) => r.code !== 0);
        assert.ok(
            results.some((r: any) => r.code === 0),
            "one eviction should be admitted",
        );
        assert.ok(refused.length >= 1, "evictions beyond the budget should be refused");
        for (const r of refused) {
            assert.match(r.stderr, /disruption budget/);
        }
        kubectl(["uncordon", ...nodes]);
        await waitFor("the workers to recover", 60_000, () => available("spark-worker") === 2);
    });

    it("8. pulumi destroy leaves nothing in the namespace and removes it", async () => {
        const volume = kubectlJson(["-n", NS, "get", "persistentvolumeclaim", "spark-event-logs"]).spec.volumeName;
        pulumi(["destroy", "--yes", "--skip-preview", "--stack", STACK]);
        await waitFor("the namespace to go", 60_000, () => kubectl(["get", "namespace", NS], { allowFail: true }).code !== 0);
        // The event-log volume goes with its claim (the class's reclaim policy is Delete).
        await waitFor("the event-log volume to go", 60_000, () => kubectl(["get", "pv", volume], { allowFail: true }).code !== 0);
        const left = kubectl(["-n", NS, "get", "all", "--no-headers"], { allowFail: true });
        assert.strictEqual(left.stdout.trim(), "");
        assert.deepStrictEqual(JSON.parse(pulumi(["stack", "output", "--json", "--stack", STACK]).stdout), {});
    });
});
