// The eks and aks settings: defaults, what each target reads and ignores, every refusal.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import { CLOUD_DEFAULTS, ConfigError } from "../../components/config";
import { evaluate, parseAny } from "../../tooling/mocks/mocks";
import { ROOT, EKS_AMBIENT, AKS_AMBIENT, refuses } from "./cloudSpecs";

describe("cloud config", () => {
    it("parses the eks defaults", () => {
        const c = parseAny({ target: "eks" }, EKS_AMBIENT);
        assert.deepStrictEqual(c.eks, {
            region: "eu-west-1",
            awsProfile: undefined,
            kubernetesVersion: "1.34",
            instanceType: "m6i.large",
            nodeCount: 2,
            minNodes: 1,
            maxNodes: 4,
            subnetIds: [],
            ecrKeepImages: 10,
            webUiLoadBalancer: "none",
        });
        assert.strictEqual(c.aks, undefined);
    });

    it("parses the aks defaults", () => {
        const c = parseAny({ target: "aks" }, AKS_AMBIENT);
        assert.deepStrictEqual(c.aks, {
            location: "westeurope",
            kubernetesVersion: "1.34",
            vmSize: "Standard_D4s_v5",
            nodeCount: 2,
            minNodes: 1,
            maxNodes: 4,
            registrySku: "Basic",
            webUiLoadBalancer: "none",
        });
        assert.strictEqual(c.eks, undefined);
    });

    it("reads subnet ids as the CLI hands over an array (JSON) or as comma-separated text", () => {
        const ids = ["subnet-0123456789abcdef0", "subnet-0fedcba9876543210"];
        for (const text of [JSON.stringify(ids), ids.join(", ")]) {
            assert.deepStrictEqual(parseAny({ target: "eks", eksSubnetIds: text }, EKS_AMBIENT).eks?.subnetIds, ids);
        }
    });

    it("ignores the other cloud's keys and the clouds' keys on local targets", () => {
        assert.deepStrictEqual(parseAny({ target: "minikube", eksNodeCount: "0", aksVmSize: "x" }), {
            ...parseAny({ target: "minikube" }),
        });
        assert.strictEqual(parseAny({ target: "eks", aksNodeCount: "0" }, EKS_AMBIENT).eks?.nodeCount, 2);
    });

    it("turns the web UI load balancer on, internal unless asked otherwise", () => {
        const mode = (raw: Record<string, string>, target: string, ambient: Record<string, string>) => {
            const c = parseAny({ target, ...raw }, ambient);
            return (c.eks ?? c.aks)?.webUiLoadBalancer;
        };
        assert.strictEqual(mode({ webUiLoadBalancer: "true" }, "eks", EKS_AMBIENT), "internal");
        assert.strictEqual(mode({ webUiLoadBalancer: "true", webUiLoadBalancerInternal: "false" }, "eks", EKS_AMBIENT), "public");
        assert.strictEqual(mode({ webUiLoadBalancer: "true" }, "aks", AKS_AMBIENT), "internal");
        assert.strictEqual(mode({ webUiLoadBalancerInternal: "false" }, "aks", AKS_AMBIENT), "none");
    });

    describe("refuses bad values, naming the key", () => {
        const eks = (raw: Record<string, string>) => ({ target: "eks", ...raw });
        const aks = (raw: Record<string, string>) => ({ target: "aks", ...raw });
        const cases: Array<[string, Record<string, string>, Record<string, string>, string, RegExp]> = [
            ["eks without aws:region", eks({}), {}, "aws:region", /needs the AWS region/],
            ["a malformed aws:region", eks({}), { "aws:region": "Ireland" }, "aws:region", /"Ireland": must be an AWS region code/],
            [
                "eks node count 0",
                eks({ eksNodeCount: "0", eksMinNodes: "0" }),
                EKS_AMBIENT,
                "eksNodeCount",
                /"0": must be a whole number of nodes >= 1/,
            ],
            ["eks node count not a number", eks({ eksNodeCount: "two" }), EKS_AMBIENT, "eksNodeCount", /"two": must be a whole number/],
            [
                "eks min above max",
                eks({ eksMinNodes: "5", eksMaxNodes: "3" }),
                EKS_AMBIENT,
                "eksMinNodes",
                /5: must not exceed eksMaxNodes \(3\)/,
            ],
            [
                "eks count above max",
                eks({ eksNodeCount: "9" }),
                EKS_AMBIENT,
                "eksNodeCount",
                /9: must lie within eksMinNodes..eksMaxNodes \(1..4\)/,
            ],
            [
                "eks count below min",
                eks({ eksMinNodes: "3" }),
                EKS_AMBIENT,
                "eksNodeCount",
                /2: must lie within eksMinNodes..eksMaxNodes \(3..4\)/,
            ],
            [
                "an instance type without size",
                eks({ eksInstanceType: "m6i" }),
                EKS_AMBIENT,
                "eksInstanceType",
                /"m6i": must be an EC2 instance type/,
            ],
            [
                "an upper-case instance type",
                eks({ eksInstanceType: "M6i.Large" }),
                EKS_AMBIENT,
                "eksInstanceType",
                /must be an EC2 instance type/,
            ],
            ["a Graviton instance type", eks({ eksInstanceType: "m7g.xlarge" }), EKS_AMBIENT, "eksInstanceType", /x86_64.*linux\/amd64/],
            [
                "an eks patch version",
                eks({ eksKubernetesVersion: "1.34.2" }),
                EKS_AMBIENT,
                "eksKubernetesVersion",
                /"1.34.2": must be a Kubernetes minor version/,
            ],
            ["an eks version with v", eks({ eksKubernetesVersion: "v1.34" }), EKS_AMBIENT, "eksKubernetesVersion", /MAJOR.MINOR/],
            [
                "one subnet",
                eks({ eksSubnetIds: '["subnet-0123456789abcdef0"]' }),
                EKS_AMBIENT,
                "eksSubnetIds",
                /at least two private subnets/,
            ],
            ["a malformed subnet id", eks({ eksSubnetIds: "subnet-1,vpc-2" }), EKS_AMBIENT, "eksSubnetIds", /must be a list of subnet ids/],
            ["ECR keeps no image", eks({ eksEcrKeepImages: "0" }), EKS_AMBIENT, "eksEcrKeepImages", /"0": must be a whole number >= 1/],
            ["aks without location", aks({}), {}, "azure-native:location", /needs the Azure location/],
            [
                "a display-name location",
                aks({}),
                { "azure-native:location": "West Europe" },
                "azure-native:location",
                /must be an Azure location name/,
            ],
            ["aks node count 0", aks({ aksNodeCount: "0" }), AKS_AMBIENT, "aksNodeCount", /must be a whole number of nodes >= 1/],
            [
                "aks min above max",
                aks({ aksMinNodes: "4", aksMaxNodes: "2", aksNodeCount: "3" }),
                AKS_AMBIENT,
                "aksMinNodes",
                /must not exceed aksMaxNodes \(2\)/,
            ],
            [
                "aks count above max",
                aks({ aksNodeCount: "5" }),
                AKS_AMBIENT,
                "aksNodeCount",
                /5: must lie within aksMinNodes..aksMaxNodes \(1..4\)/,
            ],
            ["a VM size without Standard_", aks({ aksVmSize: "D4s_v5" }), AKS_AMBIENT, "aksVmSize", /"D4s_v5": must be an Azure VM size/],
            ["a VM size with a space", aks({ aksVmSize: "Standard D4s v5" }), AKS_AMBIENT, "aksVmSize", /must be an Azure VM size/],
            ["an Ampere VM size", aks({ aksVmSize: "Standard_D4ps_v5" }), AKS_AMBIENT, "aksVmSize", /x86_64.*Ampere/],
            [
                "an aks patch version",
                aks({ aksKubernetesVersion: "1.34.1" }),
                AKS_AMBIENT,
                "aksKubernetesVersion",
                /must be a Kubernetes minor version/,
            ],
            [
                "an unknown ACR tier",
                aks({ aksRegistrySku: "Free" }),
                AKS_AMBIENT,
                "aksRegistrySku",
                /"Free": must be one of Basic, Standard, Premium/,
            ],
            [
                "webUiLoadBalancer not a boolean",
                eks({ webUiLoadBalancer: "yes" }),
                EKS_AMBIENT,
                "webUiLoadBalancer",
                /"yes": must be true or false/,
            ],
            [
                "webUiLoadBalancer on minikube",
                { webUiLoadBalancer: "true" },
                {},
                "webUiLoadBalancer",
                /applies only to the eks and aks targets/,
            ],
            [
                "webUiLoadBalancer on existing",
                { target: "existing", image: "a/spark:4.3.0", webUiLoadBalancer: "true" },
                {},
                "webUiLoadBalancer",
                /only to the eks and aks/,
            ],
        ];
        for (const [title, raw, ambient, key, allowed] of cases) {
            it(title, () => refuses(raw, ambient, key, allowed));
        }

        it("reports every problem of a stack at once", () => {
            assert.throws(
                () => parseAny({ target: "aks", aksVmSize: "big", aksKubernetesVersion: "latest" }, {}),
                (err: ConfigError) =>
                    ["azure-native:location", "aksVmSize", "aksKubernetesVersion"].every((k) =>
                        err.problems.some((p) => p.includes(`${k} = `)),
                    ),
            );
        });

        it("registers nothing for a refused stack", async () => {
            await assert.rejects(evaluate({ target: "eks", eksNodeCount: "0" }, EKS_AMBIENT), ConfigError);
        });
    });

    it("declares every cloud key in Pulumi.yaml with the loader's default", () => {
        const project = yaml.load(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8")) as {
            config: Record<string, { type: string; default: unknown; description: string }>;
        };
        for (const [key, value] of Object.entries(CLOUD_DEFAULTS)) {
            const decl = project.config[key];
            assert.ok(decl, `${key} not declared`);
            assert.deepStrictEqual(decl.default, value, key);
            const type = Array.isArray(value) ? "array" : typeof value === "number" ? "integer" : typeof value;
            assert.strictEqual(decl.type, type, key);
            assert.ok(decl.description.length > 10, key);
        }
    });
});
