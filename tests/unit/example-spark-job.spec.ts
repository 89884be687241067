// The example consumer stack (examples/spark-job): its pure builders, and the program evaluated on
// the shared mocks in a child process with its StackReference answered by given outputs.
import * as assert from "assert";
import { resolve } from "../../tooling/mocks/mocks";
import { CLIENT_LABEL, jobSpec, PI_SCRIPT, scannerAnnotations, submitArgs } from "../../examples/spark-job/job";
import { EXAMPLE_PROJECT, ExampleRun, runExample } from "../../tooling/mocks/exampleProgram";
import { runStack } from "../../tooling/mocks/program";

const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const MASTER_URL = "spark://spark-master.spark-dev.svc.cluster.local:7077";
const TAG_IMAGE = "spark-on-k8s/spark:4.3.0-1a2b3c4d5e6f";
const DIGEST_IMAGE = `123456789012.dkr.ecr.eu-west-1.amazonaws.com/spark@sha256:${"ab".repeat(32)}`;
const KUBECONFIG = "apiVersion: v1\nkind: Config\ncurrent-context: lab\n";
const LABELS = {
    "app.kubernetes.io/name": "spark-pi",
    "app.kubernetes.io/part-of": "spark-on-k8s",
    "app.kubernetes.io/managed-by": "pulumi",
    "spark-on-k8s/client": "true",
};
const EXPECTED_ARGS = [
    "submit",
    "--master",
    MASTER_URL,
    "--deploy-mode",
    "client",
    "--name",
    "spark-pi",
    "--conf",
    "spark.driver.host=$(POD_IP)",
    "--conf",
    "spark.driver.bindAddress=0.0.0.0",
    "--conf",
    "spark.driver.port=7079",
    "--conf",
    "spark.driver.blockManager.port=7080",
    "--conf",
    "spark.ui.enabled=false",
    "--driver-memory",
    "512m",
    "--executor-memory",
    "512m",
    "--total-executor-cores",
    "2",
    "/opt/spark-job/pi.py",
    "10",
];

function config(extra: Record<string, string> = {}): Record<string, string> {
    const raw: Record<string, string> = { sparkStack: "organization/spark-on-k8s/dev", ...extra };
    return Object.fromEntries(Object.entries(raw).map(([k, v]) => [`${EXAMPLE_PROJECT}:${k}`, v]));
}

function one(run: ExampleRun, type: string) {
    const found = run.resources.filter((r) => r.type === type);
    assert.strictEqual(found.length, 1, `${type}: ${found.length}`);
    return found[0];
}

describe("examples/spark-job: builders", () => {
    const settings = { masterUrl: MASTER_URL, executorMemory: "512m", totalExecutorCores: 2, partitions: 10 };

    it("submits client mode to the master, the driver reachable at its pod IP on declared ports", () => {
        assert.deepStrictEqual(submitArgs(settings), EXPECTED_ARGS);
    });

    it("runs one non-root pod with requests = limits, the pod IP from the downward API and the script mounted", async () => {
        const spec = await resolve(jobSpec({ ...settings, image: TAG_IMAGE, scriptConfigMap: "spark-pi-abc" }));
        assert.strictEqual(spec.backoffLimit, 0);
        assert.strictEqual(spec.template.spec.restartPolicy, "Never");
        assert.strictEqual(spec.template.spec.automountServiceAccountToken, false);
        assert.deepStrictEqual(spec.template.metadata.labels, LABELS);
        assert.strictEqual(spec.template.metadata.labels[CLIENT_LABEL], "true");
        const c = spec.template.spec.containers[0];
        assert.strictEqual(c.image, TAG_IMAGE);
        assert.deepStrictEqual(c.env, [{ name: "POD_IP", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } }]);
        assert.deepStrictEqual(c.resources, { requests: { cpu: "1", memory: "1Gi" }, limits: { cpu: "1", memory: "1Gi" } });
        assert.strictEqual(c.securityContext.runAsNonRoot, true);
        assert.strictEqual(c.securityContext.runAsUser, 185);
        assert.strictEqual(c.securityContext.readOnlyRootFilesystem, true);
        assert.deepStrictEqual(
            c.ports.map((p: any) => p.containerPort),
            [7079, 7080],
        );
        assert.deepStrictEqual(spec.template.spec.volumes[0], { name: "job", configMap: { name: "spark-pi-abc" } });
        assert.deepStrictEqual(c.volumeMounts[0], { name: "job", mountPath: "/opt/spark-job", readOnly: true });
    });

    it("mounts the cluster's RPC secret and points the entrypoint at it when the cluster has one", async () => {
        const spec = await resolve(
            jobSpec({ ...settings, image: TAG_IMAGE, scriptConfigMap: "spark-pi-abc", authSecretName: "spark-rpc-auth" }),
        );
        const c = spec.template.spec.containers[0];
        assert.deepStrictEqual(c.env[1], { name: "SPARK_AUTH_SECRET_FILE", value: "/etc/spark/auth/secret" });
        assert.deepStrictEqual(c.volumeMounts[2], { name: "rpc-auth", mountPath: "/etc/spark/auth", readOnly: true });
        assert.deepStrictEqual(spec.template.spec.volumes[2], {
            name: "rpc-auth",
            secret: { secretName: "spark-rpc-auth", defaultMode: 0o440 },
        });
        assert.strictEqual(spec.template.spec.securityContext.fsGroup, 185);
        // A cluster that does not encrypt: nothing asks the driver to.
        assert.ok(!c.env.some((v: any) => v.name === "SPARK_NETWORK_CRYPTO"));
    });

    it("makes the driver encrypt where the cluster does (networkCrypto), which an encrypting cluster requires", async () => {
        const spec = await resolve(
            jobSpec({
                ...settings,
                image: TAG_IMAGE,
                scriptConfigMap: "spark-pi-abc",
                authSecretName: "spark-rpc-auth",
                networkCrypto: true,
            }),
        );
        assert.deepStrictEqual(spec.template.spec.containers[0].env.slice(1), [
            { name: "SPARK_AUTH_SECRET_FILE", value: "/etc/spark/auth/secret" },
            { name: "SPARK_NETWORK_CRYPTO", value: "true" },
        ]);
    });

    it("mounts the cluster's event-log claim and points the entrypoint at it when the cluster has a History Server", async () => {
        const spec = await resolve(
            jobSpec({
                ...settings,
                image: TAG_IMAGE,
                scriptConfigMap: "spark-pi-abc",
                authSecretName: "spark-rpc-auth",
                eventLogClaimName: "spark-event-logs",
            }),
        );
        const c = spec.template.spec.containers[0];
        assert.deepStrictEqual(c.env.slice(1), [
            { name: "SPARK_AUTH_SECRET_FILE", value: "/etc/spark/auth/secret" },
            { name: "SPARK_EVENT_LOG_DIR", value: "/opt/spark/events" },
        ]);
        assert.deepStrictEqual(c.volumeMounts[3], { name: "event-logs", mountPath: "/opt/spark/events" });
        assert.deepStrictEqual(spec.template.spec.volumes[3], {
            name: "event-logs",
            persistentVolumeClaim: { claimName: "spark-event-logs" },
        });
        // Without the claim, nothing of it.
        const plain = await resolve(jobSpec({ ...settings, image: TAG_IMAGE, scriptConfigMap: "spark-pi-abc" }));
        assert.ok(!JSON.stringify(plain).includes("event-logs"));
    });

    it("ships a PySpark script that prints PI=<estimate>", () => {
        assert.match(PI_SCRIPT, /from pyspark\.sql import SparkSession/);
        assert.match(PI_SCRIPT, /print\(f"PI=/);
    });

    it("accepts the scanner's digest findings only for tag images", () => {
        const checks = (image: string) => Object.values(scannerAnnotations(image)).map((v) => v.split("=")[0]);
        assert.deepStrictEqual(checks(DIGEST_IMAGE), ["CKV_K8S_40", "CKV2_K8S_6"]);
        assert.deepStrictEqual(checks(TAG_IMAGE), ["CKV_K8S_40", "CKV2_K8S_6", "CKV_K8S_43", "CKV_K8S_15"]);
        assert.deepStrictEqual(Object.keys(scannerAnnotations(TAG_IMAGE)), [
            "checkov.io/skip1",
            "checkov.io/skip2",
            "checkov.io/skip3",
            "checkov.io/skip4",
        ]);
    });
});

describe("examples/spark-job: the program on mocks", function () {
    this.timeout(60000);
    let run: ExampleRun;
    before(() => {
        run = runExample({
            config: config(),
            outputs: { masterUrl: MASTER_URL, namespace: "spark-dev", image: TAG_IMAGE, kubeconfig: KUBECONFIG, workerReplicas: 2 },
        });
    });

    it("references the configured stack and builds its provider from the referenced kubeconfig, kept secret", () => {
        assert.deepStrictEqual(one(run, "pulumi:pulumi:StackReference").inputs, { name: "organization/spark-on-k8s/dev" });
        const provider = one(run, "pulumi:providers:kubernetes");
        assert.strictEqual(provider.name, "spark-cluster");
        assert.ok(SECRET_SIG in provider.inputs.kubeconfig, "kubeconfig input must be a secret");
        assert.strictEqual(provider.inputs.kubeconfig.value, KUBECONFIG);
    });

    it("registers exactly a ConfigMap and a Job, both on that provider, in the Spark cluster's namespace", () => {
        const objects = run.resources.filter((r) => r.type.startsWith("kubernetes:"));
        assert.deepStrictEqual(
            objects.map((r) => `${r.type} ${r.name}`),
            ["kubernetes:core/v1:ConfigMap spark-pi", "kubernetes:batch/v1:Job spark-pi"],
        );
        for (const r of objects) {
            assert.match(r.provider ?? "(none)", /::pulumi:providers:kubernetes::spark-cluster::/, r.type);
            assert.strictEqual(r.inputs.metadata.namespace, "spark-dev", r.type);
            assert.deepStrictEqual(r.inputs.metadata.labels, LABELS, r.type);
        }
    });

    it("runs spark-submit against masterUrl with the cluster's image and exact arguments", () => {
        const job = one(run, "kubernetes:batch/v1:Job").inputs;
        assert.strictEqual(job.apiVersion, "batch/v1");
        const pod = job.spec.template.spec;
        assert.strictEqual(pod.containers.length, 1);
        assert.strictEqual(pod.containers[0].image, TAG_IMAGE);
        assert.strictEqual(pod.containers[0].imagePullPolicy, "IfNotPresent");
        assert.deepStrictEqual(pod.containers[0].args, EXPECTED_ARGS);
        assert.deepStrictEqual(job.spec.template.metadata.labels, LABELS);
        // The script's ConfigMap is the one the program created (auto-named by the provider).
        assert.deepStrictEqual(pod.volumes[0], { name: "job", configMap: { name: "spark-pi-0a1b2c3d" } });
        assert.strictEqual(one(run, "kubernetes:core/v1:ConfigMap").inputs.data["pi.py"], PI_SCRIPT);
    });

    it("exports jobName and namespace", () => {
        assert.deepStrictEqual(run.outputs, { jobName: "spark-pi-0a1b2c3d", namespace: "spark-dev" });
    });

    it("passes the settings from its config through to spark-submit", () => {
        const tuned = runExample({
            config: config({ partitions: "50", executorMemory: "2g", totalExecutorCores: "6" }),
            outputs: { masterUrl: MASTER_URL, namespace: "spark-dev", image: DIGEST_IMAGE, kubeconfig: KUBECONFIG },
        });
        const job = one(tuned, "kubernetes:batch/v1:Job").inputs;
        const args: string[] = job.spec.template.spec.containers[0].args;
        assert.strictEqual(args[args.indexOf("--executor-memory") + 1], "2g");
        assert.strictEqual(args[args.indexOf("--total-executor-cores") + 1], "6");
        assert.strictEqual(args[args.length - 1], "50");
        assert.deepStrictEqual(Object.keys(job.metadata.annotations), ["checkov.io/skip1", "checkov.io/skip2"]);
    });

    it("refuses bad settings before registering anything, naming the key", () => {
        assert.throws(
            () =>
                runExample({
                    config: config({ executorMemory: "lots" }),
                    outputs: { masterUrl: MASTER_URL, namespace: "spark-dev", image: TAG_IMAGE, kubeconfig: KUBECONFIG },
                }),
            (err: any) => /spark-job:executorMemory=lots is not valid/.test(String(err.stderr)),
        );
    });

    it("reads output names the real program exports (Pulumi.local.yaml evaluated through index.ts)", () => {
        const spark = runStack("local");
        const consumer = runExample({ config: config({ sparkStack: "organization/spark-on-k8s/local" }), outputs: spark.outputs });
        const job = one(consumer, "kubernetes:batch/v1:Job").inputs;
        assert.strictEqual(job.metadata.namespace, spark.outputs.namespace);
        assert.strictEqual(job.spec.template.spec.containers[0].image, spark.outputs.image);
        assert.strictEqual(job.spec.template.spec.containers[0].args[2], spark.outputs.masterUrl);
        assert.strictEqual(one(consumer, "pulumi:providers:kubernetes").inputs.kubeconfig.value, spark.outputs.kubeconfig);
    });
});
