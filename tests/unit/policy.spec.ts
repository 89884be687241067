// The policy pack's rules (policy/rules.ts), called directly as the engine's analyzer would: a
// resource's type and properties, the policy's config, and a reportViolation spy. The engine
// cannot start policy packs here, so these tests are the rules' proof.
import * as assert from "assert";
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import {
    containerResources,
    loadBalancerOptIn,
    nonRootContainers,
    pinnedImages,
    policies,
    sparkRpcAuthentication,
} from "../../policy/rules";
import { runExample } from "../../tooling/mocks/exampleProgram";
import { overridesFor, ROOT, runProgram, runStack, stackConfig, STACKS } from "../../tooling/mocks/program";

const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
const SERVICE = "kubernetes:core/v1:Service";
const RESOURCES = { requests: { cpu: "1", memory: "1Gi" }, limits: { cpu: "1", memory: "1Gi" } };

/** What a rule reports for one resource. */
function violations(policy: ResourceValidationPolicy, type: string, props: Record<string, any>, config: object = {}): string[] {
    const reported: string[] = [];
    const args = {
        type,
        props,
        urn: `urn:pulumi:test::spark-on-k8s::${type}::r`,
        name: "r",
        opts: {},
        getConfig: () => config,
        isType: () => false,
        asType: () => undefined,
    } as unknown as ResourceValidationArgs;
    const validations = [policy.validateResource ?? []].flat();
    for (const validate of validations) {
        void validate(args, (message: string) => reported.push(message));
    }
    return reported;
}

/** A Deployment whose single container is `container` (merged over a compliant one). */
function deployment(container: Record<string, any> = {}, pod: Record<string, any> = {}): Record<string, any> {
    return {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: "d", namespace: "spark" },
        spec: {
            template: {
                spec: {
                    securityContext: { runAsNonRoot: true, runAsUser: 185 },
                    containers: [{ name: "c", image: "spark-on-k8s/spark:4.3.0-1a2b3c4d5e6f", resources: RESOURCES, ...container }],
                    ...pod,
                },
            },
        },
    };
}

function service(type: string, ports: Array<Record<string, any>>): Record<string, any> {
    return { apiVersion: "v1", kind: "Service", metadata: { name: "spark-master-ui", namespace: "spark" }, spec: { type, ports } };
}

describe("policy pack rules", () => {
    it("are five mandatory rules with unique names", () => {
        assert.deepStrictEqual(
            policies.map((p) => p.name),
            ["container-resources", "pinned-images", "non-root-containers", "load-balancer-opt-in", "spark-rpc-authentication"],
        );
        for (const p of policies) {
            assert.strictEqual(p.enforcementLevel, "mandatory", p.name);
        }
    });

    describe("container-resources", () => {
        it("passes containers with cpu and memory requests and limits", () => {
            assert.deepStrictEqual(violations(containerResources, DEPLOYMENT, deployment()), []);
        });

        it("names each missing request and limit, for init containers too", () => {
            const props = deployment(
                { resources: { requests: { cpu: "1" } } },
                { initContainers: [{ name: "init", image: "busybox:1.37", resources: { limits: { cpu: "1", memory: "64Mi" } } }] },
            );
            assert.deepStrictEqual(violations(containerResources, DEPLOYMENT, props), [
                "container init has no requests.cpu, requests.memory",
                "container c has no requests.memory, limits.cpu, limits.memory",
            ]);
        });

        it("finds the containers of Pods, Jobs and CronJobs, and ignores other types", () => {
            const bare = { name: "c", image: "x:1" };
            assert.strictEqual(violations(containerResources, "kubernetes:core/v1:Pod", { spec: { containers: [bare] } }).length, 1);
            assert.strictEqual(
                violations(containerResources, "kubernetes:batch/v1:Job", { spec: { template: { spec: { containers: [bare] } } } }).length,
                1,
            );
            assert.strictEqual(
                violations(containerResources, "kubernetes:batch/v1:CronJob", {
                    spec: { jobTemplate: { spec: { template: { spec: { containers: [bare] } } } } },
                }).length,
                1,
            );
            assert.deepStrictEqual(violations(containerResources, "kubernetes:core/v1:ConfigMap", { data: {} }), []);
        });
    });

    describe("pinned-images", () => {
        it("passes tags other than latest and digests, also behind a registry port", () => {
            for (const image of [
                "spark-on-k8s/spark:4.3.0-1a2b3c4d5e6f",
                "registry.local:5000/spark:4.3.0",
                `123456789012.dkr.ecr.eu-west-1.amazonaws.com/spark@sha256:${"ab".repeat(32)}`,
            ]) {
                assert.deepStrictEqual(violations(pinnedImages, DEPLOYMENT, deployment({ image })), [], image);
            }
        });

        it("fails :latest, untagged images (also behind a registry port) and a missing image", () => {
            assert.deepStrictEqual(violations(pinnedImages, DEPLOYMENT, deployment({ image: "spark:latest" })), [
                "container c uses spark:latest: :latest moves",
            ]);
            assert.deepStrictEqual(violations(pinnedImages, DEPLOYMENT, deployment({ image: "registry.local:5000/spark" })), [
                "container c uses the untagged image registry.local:5000/spark (that is :latest)",
            ]);
            assert.deepStrictEqual(violations(pinnedImages, DEPLOYMENT, deployment({ image: undefined })), ["container c has no image"]);
        });
    });

    describe("non-root-containers", () => {
        it("passes runAsNonRoot from the pod, or a non-zero runAsUser on the container", () => {
            assert.deepStrictEqual(violations(nonRootContainers, DEPLOYMENT, deployment()), []);
            assert.deepStrictEqual(
                violations(nonRootContainers, DEPLOYMENT, deployment({ securityContext: { runAsUser: 185 } }, { securityContext: {} })),
                [],
            );
        });

        it("fails a container that may run as root, or runs as UID 0 whatever the pod says", () => {
            assert.deepStrictEqual(violations(nonRootContainers, DEPLOYMENT, deployment({}, { securityContext: undefined })), [
                "container c may run as root: set securityContext.runAsNonRoot: true (pod or container) or a non-zero runAsUser",
            ]);
            assert.deepStrictEqual(violations(nonRootContainers, DEPLOYMENT, deployment({ securityContext: { runAsUser: 0 } })), [
                "container c runs as UID 0",
            ]);
            assert.strictEqual(
                violations(nonRootContainers, DEPLOYMENT, deployment({ securityContext: { runAsNonRoot: false } }, { securityContext: {} }))
                    .length,
                1,
            );
        });
    });

    describe("load-balancer-opt-in", () => {
        const ui = service("LoadBalancer", [{ name: "http", port: 8080, targetPort: "http" }]);

        it("passes ClusterIP Services whatever the config", () => {
            assert.deepStrictEqual(violations(loadBalancerOptIn, SERVICE, service("ClusterIP", [{ port: 7077, targetPort: "rpc" }])), []);
        });

        it("fails a LoadBalancer unless the stack opted in (the default is no)", () => {
            const message = "Service spark-master-ui is a LoadBalancer, but this stack did not opt in (policy config allowLoadBalancer)";
            assert.deepStrictEqual(violations(loadBalancerOptIn, SERVICE, ui), [message]);
            assert.deepStrictEqual(violations(loadBalancerOptIn, SERVICE, ui, { allowLoadBalancer: false }), [message]);
            assert.deepStrictEqual(violations(loadBalancerOptIn, SERVICE, ui, { allowLoadBalancer: true }), []);
        });

        it("fails an opted-in LoadBalancer that carries the RPC port", () => {
            for (const port of [{ port: 7077 }, { port: 80, targetPort: 7077 }, { port: 80, targetPort: "rpc" }]) {
                assert.deepStrictEqual(
                    violations(loadBalancerOptIn, SERVICE, service("LoadBalancer", [port]), { allowLoadBalancer: true }),
                    ["Service spark-master-ui is a LoadBalancer carrying the Spark RPC port 7077: only the web UI may be published"],
                    JSON.stringify(port),
                );
            }
        });
    });

    describe("spark-rpc-authentication", () => {
        const secretPod = { volumes: [{ name: "auth", secret: { secretName: "spark-auth" } }] };
        const authed = {
            args: ["worker"],
            env: [{ name: "SPARK_AUTH_SECRET_FILE", value: "/etc/spark-auth/secret" }],
            volumeMounts: [{ name: "auth", mountPath: "/etc/spark-auth", readOnly: true }],
        };
        const on = { requireRpcAuth: true };

        it("checks nothing while requireRpcAuth is off (the default)", () => {
            assert.deepStrictEqual(violations(sparkRpcAuthentication, DEPLOYMENT, deployment({ args: ["master"] })), []);
            assert.deepStrictEqual(
                violations(sparkRpcAuthentication, DEPLOYMENT, deployment({ args: ["master"] }), { requireRpcAuth: false }),
                [],
            );
        });

        it("passes masters and workers with the secret file in a mounted Secret (also projected), and ignores other containers", () => {
            assert.deepStrictEqual(violations(sparkRpcAuthentication, DEPLOYMENT, deployment(authed, secretPod), on), []);
            const projected = { volumes: [{ name: "auth", projected: { sources: [{ secret: { name: "spark-auth" } }] } }] };
            assert.deepStrictEqual(
                violations(sparkRpcAuthentication, DEPLOYMENT, deployment({ ...authed, args: ["master"] }, projected), on),
                [],
            );
            assert.deepStrictEqual(
                violations(
                    sparkRpcAuthentication,
                    "kubernetes:batch/v1:Job",
                    { spec: { template: { spec: { containers: [{ args: ["submit"] }] } } } },
                    on,
                ),
                [],
            );
        });

        it("fails a daemon without the env, without the mount, or with the file on a non-Secret volume", () => {
            assert.deepStrictEqual(violations(sparkRpcAuthentication, DEPLOYMENT, deployment({ args: ["master"] }), on), [
                "Spark master container c does not set env SPARK_AUTH_SECRET_FILE to an absolute file path",
            ]);
            assert.deepStrictEqual(
                violations(sparkRpcAuthentication, DEPLOYMENT, deployment({ ...authed, volumeMounts: [] }, secretPod), on),
                ["Spark worker container c mounts no volume that holds SPARK_AUTH_SECRET_FILE=/etc/spark-auth/secret"],
            );
            assert.deepStrictEqual(
                violations(sparkRpcAuthentication, DEPLOYMENT, deployment(authed, { volumes: [{ name: "auth", emptyDir: {} }] }), on),
                ["Spark worker container c holds SPARK_AUTH_SECRET_FILE in volume auth, which is not a Secret"],
            );
        });
    });
});

describe("policy pack against the program's own objects", function () {
    this.timeout(60000);

    /** Every violation of every rule over the Kubernetes objects of a run, with the stack's policy config. */
    function allViolations(resources: Array<{ type: string; name: string; inputs: Record<string, any> }>, config: Record<string, object>) {
        return resources
            .filter((r) => r.type.startsWith("kubernetes:"))
            .flatMap((r) =>
                policies.flatMap((p) => violations(p, r.type, r.inputs, config[p.name] ?? {}).map((v) => `${p.name} ${r.name}: ${v}`)),
            );
    }

    function policyConfig(stack: string): Record<string, Record<string, unknown>> {
        return JSON.parse(fs.readFileSync(path.join(ROOT, "policy", "config", `${stack}.json`), "utf8"));
    }

    for (const stack of STACKS) {
        describe(`Pulumi.${stack}.yaml`, () => {
            let resources: Array<{ type: string; name: string; inputs: Record<string, any> }>;
            before(() => {
                resources = runStack(stack).resources;
            });

            it("has a policy config whose allowLoadBalancer is the stack's webUiLoadBalancer", () => {
                const webUiLoadBalancer = stackConfig(stack)["spark-on-k8s:webUiLoadBalancer"] === "true";
                assert.strictEqual(policyConfig(stack)["load-balancer-opt-in"].allowLoadBalancer, webUiLoadBalancer);
            });

            it("violates no rule with that config", () => {
                assert.deepStrictEqual(allViolations(resources, policyConfig(stack)), []);
            });

            it("turns RPC authentication on, so the stack's policy config requires it", () => {
                assert.strictEqual(policyConfig(stack)["spark-rpc-authentication"].requireRpcAuth, true);
                const off = runProgram(stack, { ...overridesFor(stack), "spark-on-k8s:rpcAuth": "false" }).resources;
                assert.deepStrictEqual(allViolations(off, policyConfig(stack)), [
                    "spark-rpc-authentication spark-master: Spark master container spark-master does not set env SPARK_AUTH_SECRET_FILE to an absolute file path",
                    "spark-rpc-authentication spark-worker: Spark worker container spark-worker does not set env SPARK_AUTH_SECRET_FILE to an absolute file path",
                ]);
            });
        });
    }

    it("stops prod's web UI load balancer without the opt-in", () => {
        const resources = runStack("prod").resources;
        assert.deepStrictEqual(allViolations(resources, {}), [
            "load-balancer-opt-in spark-master-ui: Service spark-master-ui is a LoadBalancer, but this stack did not opt in (policy config allowLoadBalancer)",
        ]);
    });

    it("passes the example consumer's Job", () => {
        const spark = runStack("local");
        const run = runExample({ config: { "spark-job:sparkStack": "organization/spark-on-k8s/local" }, outputs: spark.outputs });
        assert.deepStrictEqual(allViolations(run.resources, policyConfig("local")), []);
    });
});

describe("policy pack served as the engine starts it (policy/index.ts over the analyzer protocol)", function () {
    this.timeout(60000);
    /* eslint-disable @typescript-eslint/no-require-imports */
    const grpc = require("@grpc/grpc-js");
    const analyzerPb = require("@pulumi/pulumi/proto/analyzer_pb");
    const analyzerGrpc = require("@pulumi/pulumi/proto/analyzer_grpc_pb");
    const { Struct } = require("google-protobuf/google/protobuf/struct_pb");
    const { Empty } = require("google-protobuf/google/protobuf/empty_pb");
    /* eslint-enable @typescript-eslint/no-require-imports */
    let pack: ChildProcess;
    let client: any;

    before(async () => {
        // What the Node.js language host does for a policy pack: run its main module, which serves
        // the rules and prints the port it listens on.
        pack = spawn(process.execPath, ["-r", "ts-node/register", "index.ts"], {
            cwd: path.join(ROOT, "policy"),
            env: { ...process.env, TS_NODE_TRANSPILE_ONLY: "1" },
            stdio: ["ignore", "pipe", "inherit"],
        });
        const port = await new Promise<string>((resolve, reject) => {
            pack.stdout!.once("data", (chunk: Buffer) => resolve(chunk.toString().trim()));
            pack.once("exit", (code) => reject(new Error(`policy pack exited with ${code}`)));
        });
        assert.match(port, /^\d+$/);
        client = new analyzerGrpc.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    });

    after(() => {
        client?.close();
        pack?.kill();
    });

    const call = (method: string, request: unknown) =>
        new Promise<any>((resolve, reject) => client[method](request, (err: Error | null, res: any) => (err ? reject(err) : resolve(res))));

    it("announces the pack and its five rules", async () => {
        const info = await call("getAnalyzerInfo", new Empty());
        assert.strictEqual(info.getName(), "spark-on-k8s");
        assert.deepStrictEqual(
            info.getPoliciesList().map((p: any) => p.getName()),
            policies.map((p) => p.name),
        );
    });

    it("reports a LoadBalancer Service of a stack that did not opt in as a mandatory violation", async () => {
        const request = new analyzerPb.AnalyzeRequest();
        request.setType(SERVICE);
        request.setUrn("urn:pulumi:dev::spark-on-k8s::kubernetes:core/v1:Service::ui");
        request.setName("ui");
        request.setProperties(Struct.fromJavaScript(service("LoadBalancer", [{ name: "http", port: 8080, targetPort: "http" }])));
        request.setOptions(new analyzerPb.AnalyzerResourceOptions());
        const diagnostics = (await call("analyze", request)).getDiagnosticsList();
        assert.deepStrictEqual(
            diagnostics.map((d: any) => [d.getPolicyname(), d.getEnforcementlevel(), d.getMessage().split("\n")[1]]),
            [
                [
                    "load-balancer-opt-in",
                    1,
                    "Service spark-master-ui is a LoadBalancer, but this stack did not opt in (policy config allowLoadBalancer)",
                ],
            ],
        );
    });
});
