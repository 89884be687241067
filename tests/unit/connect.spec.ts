// Spark Connect on mocks: the `connect` config (flat and per cluster, refusals), the token
// Secret, the server's Deployment and Service, NetworkPolicy, quota, outputs, the eks/aks
// internal load balancer, and that the token is never in a pod spec, env, argv or output.
import * as assert from "assert";
import * as crypto from "crypto";
import { connectHeapMiB, MIN_CONNECT_MEMORY_MIB, SPARK_MIN_EXECUTOR_MIB } from "../../components/quantity";
import "../../tooling/mocks/cloudMocks";
import { all, evaluate, Evaluation, isSecret, one, parseAny, Recorded } from "../../tooling/mocks/mocks";
import { AKS_AMBIENT, EKS_AMBIENT, plain, refuses, SECRET_SIG } from "./cloudSpecs";

const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
const SECRET = "kubernetes:core/v1:Secret";
const SERVICE = "kubernetes:core/v1:Service";
const CONFIGMAP = "kubernetes:core/v1:ConfigMap";
const NETPOL = "kubernetes:networking.k8s.io/v1:NetworkPolicy";

function envOf(container: any): Record<string, unknown> {
    return Object.fromEntries(container.env.map((e: any) => [e.name, e.value ?? e.valueFrom]));
}

/** The generated token of an evaluation (the Secret's value under Pulumi's secret marker). */
function tokenOf(e: Evaluation, name = "spark-connect-token"): string {
    const secret = all(e.resources, SECRET).find((r) => r.inputs.metadata.name === name);
    assert.ok(secret, `no Secret ${name}`);
    assert.ok(SECRET_SIG in secret.inputs.stringData, "the token is not marked secret");
    return plain(secret.inputs.stringData).token;
}

function connectObjects(e: Evaluation): string[] {
    return e.resources
        .filter((r) => r.type.startsWith("kubernetes:") && /connect/.test(r.name))
        .map((r) => `${r.type} ${r.name}`)
        .sort();
}

describe("Spark Connect config", () => {
    it("is off by default and takes its defaults when given as an empty object", () => {
        assert.strictEqual(parseAny({}).clusters[0].connect, undefined);
        assert.strictEqual(parseAny({ connect: "" }).clusters[0].connect, undefined);
        assert.deepStrictEqual(parseAny({ connect: "{}" }).clusters[0].connect, {
            cores: 1,
            serverCores: 1,
            memory: "1Gi",
            memoryMiB: 1024,
            loadBalancer: false,
        });
    });

    it("is set flat as JSON text, or per `clusters` entry as an object", () => {
        assert.deepStrictEqual(parseAny({ connect: '{"cores":3,"memory":"2Gi","serverCores":2}' }).clusters[0].connect, {
            cores: 3,
            serverCores: 2,
            memory: "2Gi",
            memoryMiB: 2048,
            loadBalancer: false,
        });
        const list = parseAny({ clusters: JSON.stringify([{ name: "etl", connect: { cores: 4 } }, { name: "adhoc" }]) }).clusters;
        assert.strictEqual(list[0].connect?.cores, 4);
        assert.strictEqual(list[1].connect, undefined);
        // The flat key is every entry's default.
        const both = parseAny({ connect: '{"cores":2}', clusters: JSON.stringify([{ name: "a" }, { name: "b", connect: "" }]) }).clusters;
        assert.strictEqual(both[0].connect?.cores, 2);
        assert.strictEqual(both[1].connect, undefined);
    });

    for (const [label, raw, key, allowed] of [
        ["not an object", { connect: "on" }, "connect", /must be an object such as \{cores: 2, memory: 2Gi\}, or empty for off/],
        ["zero cores", { connect: '{"cores":0}' }, "connect.cores", /whole number of cores >= 1 \(spark.cores.max/],
        ["fractional cores", { connect: '{"cores":1.5}' }, "connect.cores", /whole number of cores/],
        ["too little memory", { connect: '{"memory":"512Mi"}' }, "connect.memory", new RegExp(`at least ${MIN_CONNECT_MEMORY_MIB}Mi`)],
        ["a memory that is no quantity", { connect: '{"memory":"lots"}' }, "connect.memory", /Kubernetes memory quantity/],
        ["an unknown key", { connect: '{"core":2}' }, "connect.core", /unknown key; allowed: cores, serverCores, memory, loadBalancer/],
        ["loadBalancer that is no boolean", { connect: '{"loadBalancer":"yes"}' }, "connect.loadBalancer", /true or false/],
        [
            "Spark 3.5",
            { connect: "{}", sparkVersion: "3.5.9" },
            "connect",
            /needs Spark 4 or later, but sparkVersion is 3\.5\.9: Spark 3\.5 ships no Connect server/,
        ],
        [
            "a load balancer on minikube",
            { connect: '{"loadBalancer":true}' },
            "connect.loadBalancer",
            /is for eks and aks only \(an internal load balancer\); on minikube/,
        ],
        [
            "Spark 3.5 in one `clusters` entry",
            {
                clusters: JSON.stringify([
                    { name: "a", connect: {} },
                    { name: "b", sparkVersion: "3.5.9", connect: { cores: 2 } },
                ]),
            },
            "clusters[1].connect",
            /sparkVersion is 3\.5\.9/,
        ],
    ] as const) {
        it(`refuses ${label}`, () => refuses(raw as Record<string, string>, {}, key, allowed));
    }

    it("sizes the server's heap at three quarters of its container, above Spark's driver floor", () => {
        assert.strictEqual(connectHeapMiB(1024), 768);
        assert.strictEqual(connectHeapMiB(4096), 3072);
        assert.ok(connectHeapMiB(MIN_CONNECT_MEMORY_MIB) > SPARK_MIN_EXECUTOR_MIB);
    });
});

describe("SparkCluster with Spark Connect", () => {
    let e: Evaluation;
    let server: Recorded;
    before(async () => {
        e = await evaluate({ namespace: "spark-dev", connect: '{"cores":2,"memory":"2Gi"}' });
        server = one(e.resources, DEPLOYMENT, "spark-connect");
    });

    it("adds the token and TLS Secrets, the CA's ConfigMap, the server's Deployment and its Service, and nothing else", () => {
        assert.deepStrictEqual(connectObjects(e), [
            `${DEPLOYMENT} spark-connect`,
            `${CONFIGMAP} spark-connect-ca`,
            `${SECRET} spark-connect-tls`,
            `${SECRET} spark-connect-token`,
            `${SERVICE} spark-connect-svc`,
        ]);
    });

    it("generates the token once into a Secret of its own, marked secret", () => {
        const secret = one(e.resources, SECRET, "spark-connect-token").inputs;
        assert.strictEqual(secret.metadata.namespace, "spark-dev");
        assert.strictEqual(secret.type, "Opaque");
        assert.deepStrictEqual(Object.keys(plain(secret.stringData)), ["token"]);
        assert.match(tokenOf(e), /^[0-9a-f]{64}$/);
        // Not the RPC secret.
        const rpc = plain(one(e.resources, SECRET, "spark-rpc-auth").inputs.stringData).secret;
        assert.notStrictEqual(tokenOf(e), rpc);
    });

    it("runs one server, recreated on change, with selector = template labels = Service selector", () => {
        const d = server.inputs;
        assert.strictEqual(d.metadata.namespace, "spark-dev");
        assert.strictEqual(d.spec.replicas, 1);
        assert.deepStrictEqual(d.spec.strategy, { type: "Recreate" });
        const selector = {
            "app.kubernetes.io/name": "spark",
            "app.kubernetes.io/instance": "spark",
            "app.kubernetes.io/component": "connect",
        };
        assert.deepStrictEqual(d.spec.selector.matchLabels, selector);
        for (const [k, v] of Object.entries(selector)) assert.strictEqual(d.spec.template.metadata.labels[k], v);
        const svc = one(e.resources, SERVICE, "spark-connect-svc").inputs;
        assert.strictEqual(svc.metadata.name, "spark-connect");
        assert.deepStrictEqual(svc.metadata.annotations, { "pulumi.com/skipAwait": "true" });
        assert.deepStrictEqual(svc.spec, {
            type: "ClusterIP",
            selector,
            ports: [{ name: "grpc", port: 15002, targetPort: "grpc", protocol: "TCP" }],
        });
    });

    it("runs the connect role against the master with its cap, heap and the token's file, on its loopback only", () => {
        const c = server.inputs.spec.template.spec.containers[0];
        assert.deepStrictEqual(c.args, ["connect"]);
        assert.strictEqual(c.image, one(e.resources, DEPLOYMENT, "spark-master").inputs.spec.template.spec.containers[0].image);
        const env = envOf(c);
        assert.strictEqual(env.SPARK_MASTER_URL, "spark://spark-master.spark-dev.svc.cluster.local:7077");
        // Plain gRPC on the pod's loopback: only the TLS proxy beside it (and port-forwards) reach it.
        assert.strictEqual(env.SPARK_CONNECT_PORT, "15003");
        assert.strictEqual(env.SPARK_CONNECT_BIND_ADDRESS, "127.0.0.1");
        assert.strictEqual(env.SPARK_CONNECT_MAX_CORES, "2");
        // Three quarters of the container's 2Gi less the proxy's 64Mi.
        assert.strictEqual(env.SPARK_CONNECT_DRIVER_MEMORY, `${connectHeapMiB(2048 - 64)}m`);
        // Executors sized to what one worker offers (Spark's 1g default fits no 1Gi worker).
        const worker = envOf(one(e.resources, DEPLOYMENT, "spark-worker").inputs.spec.template.spec.containers[0]);
        assert.strictEqual(env.SPARK_CONNECT_EXECUTOR_MEMORY, worker.SPARK_WORKER_MEMORY);
        assert.strictEqual(env.SPARK_CONNECT_TOKEN_FILE, "/etc/spark/connect/token");
        assert.strictEqual(env.SPARK_AUTH_SECRET_FILE, "/etc/spark/auth/secret");
        assert.deepStrictEqual(env.SPARK_LOCAL_IP, { fieldRef: { fieldPath: "status.podIP" } });
        // What it advertises to executors: the pod IP, not the pod's unresolvable hostname.
        assert.deepStrictEqual(env.SPARK_LOCAL_HOSTNAME, { fieldRef: { fieldPath: "status.podIP" } });
        // The pod's serverCores and memory less the proxy's share.
        const size = { cpu: "900m", memory: "1984Mi", "ephemeral-storage": "1792Mi" };
        assert.deepStrictEqual(c.resources, { requests: size, limits: size });
        // The kubelet's TCP probes dial the pod's address, where the server does not listen.
        for (const probe of [c.startupProbe, c.readinessProbe, c.livenessProbe]) {
            assert.deepStrictEqual(probe.exec, { command: ["/opt/entrypoint.sh", "ready", "connect"] });
        }
        assert.deepStrictEqual(c.ports, [{ name: "http", containerPort: 4040, protocol: "TCP" }]);
    });

    it("puts a TLS proxy beside it on 15002 (the connect-tls role), with the pod's size summing to serverCores and memory", () => {
        const [c, proxy] = server.inputs.spec.template.spec.containers;
        assert.strictEqual(proxy.name, "connect-tls");
        assert.strictEqual(proxy.image, c.image);
        assert.deepStrictEqual(proxy.args, ["connect-tls"]);
        assert.deepStrictEqual(envOf(proxy), {
            SPARK_CONNECT_TLS_PORT: "15002",
            SPARK_CONNECT_PORT: "15003",
            SPARK_CONNECT_TLS_DIR: "/etc/spark/connect-tls",
        });
        assert.deepStrictEqual(proxy.ports, [{ name: "grpc", containerPort: 15002, protocol: "TCP" }]);
        assert.deepStrictEqual(proxy.readinessProbe.tcpSocket, { port: "grpc" });
        const size = { cpu: "100m", memory: "64Mi", "ephemeral-storage": "64Mi" };
        assert.deepStrictEqual(proxy.resources, { requests: size, limits: size });
        assert.deepStrictEqual(proxy.securityContext, c.securityContext);
        // The proxy mounts the certificate and key only; the server never sees the key.
        assert.deepStrictEqual(proxy.volumeMounts, [{ name: "connect-tls", mountPath: "/etc/spark/connect-tls", readOnly: true }]);
        assert.ok(!c.volumeMounts.some((m: any) => m.name === "connect-tls"));
        assert.deepStrictEqual(
            server.inputs.spec.template.spec.volumes.find((v: any) => v.name === "connect-tls"),
            {
                name: "connect-tls",
                secret: {
                    secretName: "spark-connect-tls",
                    defaultMode: 0o440,
                    items: [
                        { key: "tls.crt", path: "tls.crt" },
                        { key: "tls.key", path: "tls.key" },
                    ],
                },
            },
        );
    });

    it("generates a CA and a server certificate for the Service's names once into a kubernetes.io/tls Secret, and publishes the CA alone", async () => {
        const secret = one(e.resources, SECRET, "spark-connect-tls").inputs;
        assert.strictEqual(secret.type, "kubernetes.io/tls");
        assert.strictEqual(secret.metadata.namespace, "spark-dev");
        assert.ok(SECRET_SIG in secret.stringData, "the key is not marked secret");
        const m = plain(secret.stringData);
        assert.deepStrictEqual(Object.keys(m).sort(), ["ca.crt", "tls.crt", "tls.key"]);
        const ca = new crypto.X509Certificate(m["ca.crt"]);
        const cert = new crypto.X509Certificate(m["tls.crt"]);
        assert.ok(cert.verify(ca.publicKey), "the CA did not sign the certificate");
        assert.ok(cert.checkPrivateKey(crypto.createPrivateKey(m["tls.key"])), "the key is not the certificate's");
        for (const host of [
            "spark-connect",
            "spark-connect.spark-dev",
            "spark-connect.spark-dev.svc",
            "spark-connect.spark-dev.svc.cluster.local",
        ]) {
            assert.strictEqual(cert.checkHost(host), host);
        }
        assert.strictEqual(cert.checkHost("spark-master.spark-dev.svc.cluster.local"), undefined);
        // The CA in a ConfigMap for client pods, and in a plain output: public, not secret.
        const cm = one(e.resources, CONFIGMAP, "spark-connect-ca").inputs;
        assert.strictEqual(cm.metadata.namespace, "spark-dev");
        assert.deepStrictEqual(cm.data, { "ca.crt": m["ca.crt"] });
        assert.strictEqual(e.outputs.connectCaCert, m["ca.crt"]);
        assert.strictEqual(e.outputs.connectCaConfigMapName, "spark-connect-ca");
        assert.strictEqual(await isSecret(e.stack.connectCaCert), false);
        // The key is in nothing but its Secret.
        const key = m["tls.key"].split("\n")[1];
        for (const r of e.resources.filter((x) => !(x.type === SECRET && x.name === "spark-connect-tls"))) {
            assert.ok(!JSON.stringify(r.inputs).includes(key), `TLS key in ${r.type} ${r.name}`);
        }
        assert.ok(!JSON.stringify(e.outputs).includes(key), "TLS key in the outputs");
    });

    it("runs the server hardened like the other pods: non-root 185, read-only root, no API token", () => {
        const pod = server.inputs.spec.template.spec;
        assert.strictEqual(pod.automountServiceAccountToken, false);
        assert.strictEqual(pod.enableServiceLinks, false);
        assert.strictEqual(pod.securityContext.runAsNonRoot, true);
        assert.strictEqual(pod.securityContext.runAsUser, 185);
        const sc = pod.containers[0].securityContext;
        assert.strictEqual(sc.runAsUser, 185);
        assert.strictEqual(sc.readOnlyRootFilesystem, true);
        assert.strictEqual(sc.allowPrivilegeEscalation, false);
        assert.deepStrictEqual(sc.capabilities, { drop: ["ALL"] });
        assert.deepStrictEqual(
            pod.volumes.find((v: any) => v.name === "connect-token"),
            { name: "connect-token", secret: { secretName: "spark-connect-token", defaultMode: 0o440 } },
        );
        assert.deepStrictEqual(
            pod.containers[0].volumeMounts.find((m: any) => m.name === "connect-token"),
            { name: "connect-token", mountPath: "/etc/spark/connect", readOnly: true },
        );
        // Only the server mounts the token.
        for (const name of ["spark-master", "spark-worker"]) {
            const other = one(e.resources, DEPLOYMENT, name).inputs.spec.template.spec;
            assert.ok(!other.volumes.some((v: any) => v.name === "connect-token"), name);
        }
    });

    it("never puts the token in a pod spec, env value, argv or output", async () => {
        const token = tokenOf(e);
        for (const r of e.resources.filter((x) => x.type !== SECRET)) {
            assert.ok(!JSON.stringify(r.inputs).includes(token), `token in ${r.type} ${r.name}`);
        }
        const c = server.inputs.spec.template.spec.containers[0];
        assert.ok(!JSON.stringify([c.args, c.command ?? [], c.env]).includes(token));
        assert.ok(!JSON.stringify(e.outputs).includes(token), "token in the outputs");
        assert.strictEqual(await isSecret(e.stack.connectUrl), false, "the URL holds no secret");
    });

    it("lets client-labelled pods (and the cluster's own) reach 15002, nothing else from outside", () => {
        const np = one(e.resources, NETPOL).inputs.spec;
        const own = { "app.kubernetes.io/name": "spark", "app.kubernetes.io/instance": "spark" };
        // The policy selects the server's pods...
        for (const [k, v] of Object.entries(own)) assert.strictEqual(server.inputs.spec.template.metadata.labels[k], v);
        // ...and lets in all ports only from the cluster's own pods and labelled clients.
        assert.deepStrictEqual(np.ingress[0], {
            from: [{ podSelector: { matchLabels: own } }, { podSelector: { matchLabels: { "spark-on-k8s/client": "true" } } }],
        });
        // Every other rule opens UI ports only: 15002 is in none of them.
        for (const rule of np.ingress.slice(1)) {
            assert.ok(!rule.ports.some((p: any) => p.port === 15002), JSON.stringify(rule));
        }
    });

    it("counts the server in the quota and the limit range", async () => {
        const without = await evaluate({ namespace: "spark-dev" });
        const hard = (x: Evaluation) => one(x.resources, "kubernetes:core/v1:ResourceQuota").inputs.spec.hard;
        assert.strictEqual(Number(hard(e).pods), Number(hard(without).pods) + 1);
        assert.strictEqual(Number(hard(e)["requests.cpu"]), Number(hard(without)["requests.cpu"]) + 1);
        assert.strictEqual(parseInt(hard(e)["limits.memory"], 10), parseInt(hard(without)["limits.memory"], 10) + 2048);
        assert.strictEqual(
            parseInt(hard(e)["limits.ephemeral-storage"], 10),
            parseInt(hard(without)["limits.ephemeral-storage"], 10) + 1792 + 64,
        );
        assert.strictEqual(hard(e)["services.loadbalancers"], "0");
        const big = await evaluate({ connect: '{"memory":"6Gi","serverCores":3}' });
        const max = one(big.resources, "kubernetes:core/v1:LimitRange").inputs.spec.limits[0].max;
        assert.deepStrictEqual(max, { cpu: "3", memory: "6144Mi", "ephemeral-storage": "6656Mi" });
    });

    it("exports the sc:// URL without the token, the token's Secret and a quoted port-forward command", () => {
        const expected = {
            connectUrl: "sc://spark-connect.spark-dev.svc.cluster.local:15002",
            connectTokenSecretName: "spark-connect-token",
            // To the pod's plain loopback port: a client sends `localhost` no TLS.
            connectPortForwardCommand: "kubectl --context minikube -n spark-dev port-forward deployment/spark-connect 15002:15003",
            connectLoadBalancerUrl: undefined,
        };
        for (const [k, v] of Object.entries(expected)) {
            assert.strictEqual(e.outputs[k], v, k);
            assert.strictEqual(e.outputs.clusters.spark[k], v, `clusters.spark.${k}`);
        }
    });

    it("removes everything of it when turned off again", async () => {
        const off = await evaluate({ namespace: "spark-dev" });
        assert.deepStrictEqual(connectObjects(off), []);
        assert.strictEqual(off.outputs.connectUrl, undefined);
        assert.ok(!JSON.stringify(one(off.resources, NETPOL).inputs).includes("15002"));
    });

    it("can differ per cluster", async () => {
        const multi = await evaluate({ clusters: JSON.stringify([{ name: "etl", connect: { cores: 3 } }, { name: "adhoc" }]) });
        assert.deepStrictEqual(connectObjects(multi), [
            `${DEPLOYMENT} etl-connect`,
            `${CONFIGMAP} etl-connect-ca`,
            `${SECRET} etl-connect-tls`,
            `${SECRET} etl-connect-token`,
            `${SERVICE} etl-connect-svc`,
        ]);
        assert.strictEqual(multi.outputs.clusters.etl.connectUrl, "sc://etl-connect.etl.svc.cluster.local:15002");
        assert.strictEqual(multi.outputs.clusters.adhoc.connectUrl, undefined);
        const c = one(multi.resources, DEPLOYMENT, "etl-connect").inputs.spec.template.spec.containers[0];
        assert.strictEqual(envOf(c).SPARK_CONNECT_MAX_CORES, "3");
    });
});

describe("Spark Connect's internal load balancer on eks and aks", () => {
    for (const [target, ambient, annotations] of [
        [
            "eks",
            EKS_AMBIENT,
            {
                "service.beta.kubernetes.io/aws-load-balancer-internal": "true",
                "service.beta.kubernetes.io/aws-load-balancer-scheme": "internal",
            },
        ],
        ["aks", AKS_AMBIENT, { "service.beta.kubernetes.io/azure-load-balancer-internal": "true" }],
    ] as const) {
        it(`${target}: an internal LoadBalancer on 15002 only, reachable from private addresses, counted in the quota`, async () => {
            const e = await evaluate({ target, connect: '{"loadBalancer":true}' }, ambient);
            const lb = one(e.resources, SERVICE, "spark-connect-lb").inputs;
            // The platform's annotations only: its address is awaited (no skipAwait).
            assert.deepStrictEqual(lb.metadata.annotations, annotations);
            assert.strictEqual(lb.spec.type, "LoadBalancer");
            assert.deepStrictEqual(lb.spec.ports, [{ name: "grpc", port: 15002, targetPort: "grpc", protocol: "TCP" }]);
            assert.strictEqual(lb.spec.selector["app.kubernetes.io/component"], "connect");
            const np = one(e.resources, NETPOL).inputs.spec;
            assert.deepStrictEqual(np.ingress[np.ingress.length - 1], {
                from: [
                    { ipBlock: { cidr: "10.0.0.0/8" } },
                    { ipBlock: { cidr: "172.16.0.0/12" } },
                    { ipBlock: { cidr: "192.168.0.0/16" } },
                ],
                ports: [{ port: 15002, protocol: "TCP" }],
            });
            assert.strictEqual(one(e.resources, "kubernetes:core/v1:ResourceQuota").inputs.spec.hard["services.loadbalancers"], "1");
            assert.strictEqual(e.outputs.connectLoadBalancerUrl, "sc://pending:15002");
        });

        it(`${target}: no load balancer unless asked`, async () => {
            const e = await evaluate({ target, connect: "{}" }, ambient);
            assert.deepStrictEqual(
                all(e.resources, SERVICE).filter((s) => s.inputs.spec.type === "LoadBalancer"),
                [],
            );
        });
    }
});
