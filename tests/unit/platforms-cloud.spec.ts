// The eks and aks targets on mocks: the cloud resources and their key inputs, the provider every
// Kubernetes object uses, the image pushed to the cloud's registry, secret outputs, bad config,
// and the prod stack files.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import { CLOUD_DEFAULTS, ConfigError, EksConfig } from "../../components/config";
import { aksWebUi, ACR_PULL_ROLE, ACR_TOKEN_USERNAME, exchangeAcrRefreshToken } from "../../components/platforms/aks";
import { eksWebUi, EksPlatform } from "../../components/platforms/eks";
import * as cloud from "../../tooling/mocks/cloudMocks";
import { all, evaluate, Evaluation, isSecret, one, parseAny, Recorded, resolve } from "../../tooling/mocks/mocks";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const settings = require("@pulumi/pulumi/runtime/settings") as { waitForRPCs(): Promise<void> };

const ROOT = path.join(__dirname, "..", "..");
const EKS_AMBIENT = { "aws:region": "eu-west-1" };
const AKS_AMBIENT = { "azure-native:location": "westeurope" };
const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const DOCKER_IMAGE = "docker:index/image:Image";
const K8S_PROVIDER = "pulumi:providers:kubernetes";

/** A recorded input with a secret's wrapper (if any) removed. */
function plain(value: any): any {
    return value !== null && typeof value === "object" && SECRET_SIG in value ? value.value : value;
}

/** Every Kubernetes object (not the provider) of an evaluation. */
function k8sObjects(e: Evaluation): Recorded[] {
    return e.resources.filter((r) => r.type.startsWith("kubernetes:"));
}

/** Asserts there is one Kubernetes provider, named `name`, and every Kubernetes object uses it. */
function assertAllOnProvider(e: Evaluation, name: string): void {
    const providers = all(e.resources, K8S_PROVIDER);
    assert.deepStrictEqual(
        providers.map((p) => p.name),
        [name],
    );
    const objects = k8sObjects(e);
    assert.ok(objects.length >= 8, `only ${objects.length} Kubernetes objects`);
    for (const r of objects) {
        assert.notStrictEqual(r.provider, undefined, `${r.type} ${r.name} has no provider`);
        assert.match(r.provider!, new RegExp(`\\$${K8S_PROVIDER}::${name}::${name}-id$`), `${r.type} ${r.name}`);
    }
}

/** Asserts the one LoadBalancer Service of the stack carries exactly the platform's annotations. */
function assertUiLoadBalancer(e: Evaluation, annotations: Record<string, string>): void {
    const lbs = all(e.resources, "kubernetes:core/v1:Service").filter((r) => r.inputs.spec.type === "LoadBalancer");
    assert.strictEqual(lbs.length, 1, lbs.map((r) => r.name).join(", "));
    assert.deepStrictEqual(lbs[0].inputs.metadata.annotations, annotations);
}

/** Asserts `raw` is refused with a ConfigError whose message names `key` and matches `allowed`. */
function refuses(raw: Record<string, string>, ambient: Record<string, string>, key: string, allowed: RegExp): void {
    assert.throws(
        () => parseAny(raw, ambient),
        (err: unknown) => {
            assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
            const problem = err.problems.find((p) => p.includes(`${key} = `));
            assert.ok(problem, `no problem names ${key}: ${err.problems.join(" | ")}`);
            assert.match(problem, allowed);
            assert.ok(err.message.includes(key), err.message);
            return true;
        },
    );
}

/** A stack file's config as the CLI hands it over: project keys without prefix, others in `ambient`. */
function stackFile(stack: string): { raw: Record<string, string>; ambient: Record<string, string> } {
    const file = yaml.load(fs.readFileSync(path.join(ROOT, `Pulumi.${stack}.yaml`), "utf8")) as { config: Record<string, unknown> };
    const raw: Record<string, string> = {};
    const ambient: Record<string, string> = {};
    for (const [key, value] of Object.entries(file.config)) {
        const text = typeof value === "string" ? value : JSON.stringify(value);
        if (key.startsWith("spark-on-k8s:")) {
            raw[key.slice("spark-on-k8s:".length)] = text;
        } else {
            ambient[key] = text;
        }
    }
    return { raw, ambient };
}

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

describe("eks target", () => {
    let e: Evaluation;
    before(async () => {
        cloud.invokes.length = 0;
        e = await evaluate({ target: "eks", workerReplicas: "3" }, EKS_AMBIENT);
    });

    it("creates a VPC with private node subnets behind one NAT gateway", () => {
        const vpc = one(e.resources, "awsx:ec2:Vpc");
        assert.strictEqual(vpc.name, "eks-vpc");
        assert.strictEqual(vpc.custom, false, "awsx Vpc is a remote component");
        assert.deepStrictEqual(vpc.inputs.natGateways, { strategy: "Single" });
        assert.strictEqual(vpc.inputs.numberOfAvailabilityZones, 2);
        assert.deepStrictEqual(vpc.inputs.subnetSpecs, [
            { type: "Private", tags: { "kubernetes.io/role/internal-elb": "1" } },
            { type: "Public", tags: { "kubernetes.io/role/elb": "1" } },
        ]);
    });

    it("creates the cluster on the private subnets, pinned to the configured version", () => {
        const cluster = one(e.resources, "aws:eks/cluster:Cluster");
        assert.strictEqual(cluster.name, "eks-cluster");
        assert.strictEqual(cluster.inputs.version, "1.34");
        assert.deepStrictEqual(cluster.inputs.vpcConfig, {
            subnetIds: cloud.PRIVATE_SUBNETS,
            endpointPrivateAccess: true,
            endpointPublicAccess: true,
        });
        assert.deepStrictEqual(cluster.inputs.accessConfig, { authenticationMode: "API", bootstrapClusterCreatorAdminPermissions: true });
        assert.strictEqual(cluster.inputs.roleArn, "arn:aws:iam::123456789012:role/eks-cluster-role-1a2b3c4");
    });

    it("sizes the managed node group from config", () => {
        const nodes = one(e.resources, "aws:eks/nodeGroup:NodeGroup");
        assert.strictEqual(nodes.inputs.clusterName, "eks-cluster-1a2b3c4");
        assert.deepStrictEqual(nodes.inputs.scalingConfig, { desiredSize: 2, minSize: 1, maxSize: 4 });
        assert.deepStrictEqual(nodes.inputs.instanceTypes, ["m6i.large"]);
        assert.deepStrictEqual(nodes.inputs.subnetIds, cloud.PRIVATE_SUBNETS);
        assert.strictEqual(nodes.inputs.version, "1.34");
        assert.strictEqual(nodes.inputs.amiType, "AL2023_x86_64_STANDARD");
        assert.strictEqual(nodes.inputs.nodeRoleArn, "arn:aws:iam::123456789012:role/eks-node-role-1a2b3c4");
    });

    it("gives the roles exactly the AWS managed policies they need", () => {
        const attachments = all(e.resources, "aws:iam/rolePolicyAttachment:RolePolicyAttachment")
            .map((r) => `${r.inputs.role} ${r.inputs.policyArn}`)
            .sort();
        assert.deepStrictEqual(attachments, [
            "eks-cluster-role-1a2b3c4 arn:aws:iam::aws:policy/AmazonEKSClusterPolicy",
            "eks-node-role-1a2b3c4 arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly",
            "eks-node-role-1a2b3c4 arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
            "eks-node-role-1a2b3c4 arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",
        ]);
        const trust = (name: string) =>
            JSON.parse(one(e.resources, "aws:iam/role:Role", name).inputs.assumeRolePolicy).Statement[0].Principal;
        assert.deepStrictEqual(trust("eks-cluster-role"), { Service: "eks.amazonaws.com" });
        assert.deepStrictEqual(trust("eks-node-role"), { Service: "ec2.amazonaws.com" });
    });

    it("turns on NetworkPolicy enforcement in the VPC CNI add-on", () => {
        const cni = one(e.resources, "aws:eks/addon:Addon");
        assert.strictEqual(cni.inputs.addonName, "vpc-cni");
        assert.strictEqual(cni.inputs.clusterName, "eks-cluster-1a2b3c4");
        assert.deepStrictEqual(JSON.parse(cni.inputs.configurationValues), { enableNetworkPolicy: "true" });
    });

    it("creates an ECR repository scanned on push, keeping the last 10 images", () => {
        const repo = one(e.resources, "aws:ecr/repository:Repository");
        assert.deepStrictEqual(repo.inputs.imageScanningConfiguration, { scanOnPush: true });
        assert.strictEqual(repo.inputs.forceDelete, true);
        const lifecycle = one(e.resources, "aws:ecr/lifecyclePolicy:LifecyclePolicy");
        assert.strictEqual(lifecycle.inputs.repository, "eks-spark-1a2b3c4");
        assert.deepStrictEqual(JSON.parse(lifecycle.inputs.policy), {
            rules: [
                {
                    rulePriority: 1,
                    description: "Keep the last 10 images",
                    selection: { tagStatus: "any", countType: "imageCountMoreThan", countNumber: 10 },
                    action: { type: "expire" },
                },
            ],
        });
    });

    it("pushes the image to the ECR repository with the token from getAuthorizationToken", () => {
        const image = one(e.resources, DOCKER_IMAGE);
        const repoUrl = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/eks-spark-1a2b3c4";
        assert.match(image.inputs.imageName, new RegExp(`^${repoUrl.replace(/\./g, "\\.")}:4\\.3\\.0-[0-9a-f]{12}$`));
        assert.strictEqual(image.inputs.skipPush, false);
        // The whole registry block is secret: it holds the password.
        assert.strictEqual(SECRET_SIG in image.inputs.registry, true);
        assert.deepStrictEqual(plain(image.inputs.registry), {
            server: "123456789012.dkr.ecr.eu-west-1.amazonaws.com",
            username: "AWS",
            password: cloud.ECR_PASSWORD,
        });
        const tokenCalls = cloud.invokes.filter((i) => i.token === "aws:ecr/getAuthorizationToken:getAuthorizationToken");
        assert.deepStrictEqual(
            tokenCalls.map((i) => i.inputs),
            [{ registryId: "123456789012" }],
        );
    });

    it("runs master and workers from the pushed digest", () => {
        assert.match(e.outputs.image, /^123456789012\.dkr\.ecr\.eu-west-1\.amazonaws\.com\/eks-spark-1a2b3c4@sha256:[0-9a-f]{64}$/);
        for (const d of all(e.resources, "kubernetes:apps/v1:Deployment")) {
            const c = d.inputs.spec.template.spec.containers[0];
            assert.strictEqual(c.image, e.outputs.image, d.name);
            assert.strictEqual(c.imagePullPolicy, "IfNotPresent", d.name);
        }
        assert.strictEqual(e.outputs.workerReplicas, 3);
    });

    it("creates every Kubernetes object with the EKS cluster's provider", () => {
        assertAllOnProvider(e, "eks-k8s");
    });

    it("builds the provider from the cluster's kubeconfig, a secret that uses aws eks get-token", async () => {
        assert.strictEqual(await isSecret(e.stack.kubeconfig!), true);
        assert.strictEqual(e.outputs.clusterName, "eks-cluster-1a2b3c4");
        const kubeconfig = JSON.parse(e.outputs.kubeconfig);
        assert.deepStrictEqual(kubeconfig.clusters, [
            { name: "eks-cluster-1a2b3c4", cluster: { server: cloud.EKS_ENDPOINT, "certificate-authority-data": cloud.EKS_CA_DATA } },
        ]);
        assert.deepStrictEqual(kubeconfig.users[0].user.exec.args, [
            "eks",
            "get-token",
            "--cluster-name",
            "eks-cluster-1a2b3c4",
            "--region",
            "eu-west-1",
            "--output",
            "json",
        ]);
        assert.strictEqual(kubeconfig.users[0].user.exec.env, null);
        const provider = one(e.resources, K8S_PROVIDER);
        assert.strictEqual(plain(provider.inputs.kubeconfig), e.outputs.kubeconfig);
    });

    it("uses given subnets instead of creating a VPC, and the stack's AWS profile", async () => {
        const subnets = ["subnet-0123456789abcdef0", "subnet-0fedcba9876543210", "subnet-00000000000000001"];
        const g = await evaluate(
            { target: "eks", eksSubnetIds: JSON.stringify(subnets), eksInstanceType: "r6i.2xlarge", eksNodeCount: "5", eksMaxNodes: "8" },
            { ...EKS_AMBIENT, "aws:profile": "spark-prod" },
        );
        assert.strictEqual(all(g.resources, "awsx:ec2:Vpc").length, 0);
        assert.deepStrictEqual(one(g.resources, "aws:eks/cluster:Cluster").inputs.vpcConfig.subnetIds, subnets);
        const nodes = one(g.resources, "aws:eks/nodeGroup:NodeGroup").inputs;
        assert.deepStrictEqual(nodes.subnetIds, subnets);
        assert.deepStrictEqual(nodes.scalingConfig, { desiredSize: 5, minSize: 1, maxSize: 8 });
        assert.deepStrictEqual(nodes.instanceTypes, ["r6i.2xlarge"]);
        assert.deepStrictEqual(JSON.parse(g.outputs.kubeconfig).users[0].user.exec.env, [{ name: "AWS_PROFILE", value: "spark-prod" }]);
    });

    it("exposes the web UI on an internal load balancer only when asked", async () => {
        assert.deepStrictEqual(eksWebUi("none"), { serviceType: "ClusterIP", annotations: {} });
        assert.deepStrictEqual(eksWebUi("internal"), {
            serviceType: "LoadBalancer",
            annotations: {
                "service.beta.kubernetes.io/aws-load-balancer-internal": "true",
                "service.beta.kubernetes.io/aws-load-balancer-scheme": "internal",
            },
        });
        assert.deepStrictEqual(eksWebUi("public"), {
            serviceType: "LoadBalancer",
            annotations: { "service.beta.kubernetes.io/aws-load-balancer-scheme": "internet-facing" },
        });
        const config = parseAny({ target: "eks", webUiLoadBalancer: "true" }, EKS_AMBIENT).eks as EksConfig;
        const platform = new EksPlatform("ui", { config });
        assert.deepStrictEqual(platform.webUi, eksWebUi("internal"));
        assert.deepStrictEqual(new EksPlatform("default-ui", { config: { ...config, webUiLoadBalancer: "none" } }).webUi, eksWebUi("none"));
        // Let these registrations finish here, not inside the next evaluation's record.
        await resolve(platform.kubeconfig);
        await settings.waitForRPCs();
    });
});

describe("aks target", () => {
    let e: Evaluation;
    before(async () => {
        cloud.invokes.length = 0;
        cloud.exchanges.length = 0;
        e = await evaluate({ target: "aks", workerReplicas: "3" }, AKS_AMBIENT);
    });

    it("creates the resource group and a registry with the admin user disabled", () => {
        assert.strictEqual(one(e.resources, "azure-native:resources:ResourceGroup", "aks-rg").inputs.location, "westeurope");
        const acr = one(e.resources, "azure-native:containerregistry:Registry", "aksacr");
        assert.deepStrictEqual(acr.inputs, {
            resourceGroupName: "aks-rg1a2b3c4",
            location: "westeurope",
            sku: { name: "Basic" },
            adminUserEnabled: false,
            anonymousPullEnabled: false,
            // The SDK's defaults.
            networkRuleBypassOptions: "AzureServices",
            publicNetworkAccess: "Enabled",
            zoneRedundancy: "Disabled",
        });
    });

    it("creates the managed cluster with a system-assigned identity and one sized system pool", () => {
        const cluster = one(e.resources, "azure-native:containerservice:ManagedCluster", "aks-cluster");
        assert.strictEqual(cluster.inputs.kubernetesVersion, "1.34");
        assert.strictEqual(cluster.inputs.location, "westeurope");
        assert.strictEqual(cluster.inputs.resourceGroupName, "aks-rg1a2b3c4");
        assert.deepStrictEqual(cluster.inputs.identity, { type: "SystemAssigned" });
        assert.strictEqual(cluster.inputs.enableRBAC, true);
        assert.deepStrictEqual(cluster.inputs.agentPoolProfiles, [
            {
                name: "system",
                mode: "System",
                osType: "Linux",
                type: "VirtualMachineScaleSets",
                vmSize: "Standard_D4s_v5",
                orchestratorVersion: "1.34",
                count: 2,
                enableAutoScaling: true,
                minCount: 1,
                maxCount: 4,
            },
        ]);
        assert.strictEqual(cluster.inputs.networkProfile.networkPolicy, "cilium");
    });

    it("lets the kubelet identity pull from the registry (AcrPull on the registry)", () => {
        const ra = one(e.resources, "azure-native:authorization:RoleAssignment", "aks-acr-pull");
        assert.deepStrictEqual(ra.inputs, {
            principalId: cloud.KUBELET_OBJECT_ID,
            principalType: "ServicePrincipal",
            roleDefinitionId: `/subscriptions/${cloud.AZURE_SUBSCRIPTION}/providers/Microsoft.Authorization/roleDefinitions/${ACR_PULL_ROLE}`,
            scope: "aksacr-id",
        });
        assert.strictEqual(ACR_PULL_ROLE, "7f951dda-4ed3-4680-a7ca-43fe172d538d");
    });

    it("pushes the image to the ACR with a refresh token exchanged for the deployer's Entra ID token", () => {
        const image = one(e.resources, DOCKER_IMAGE);
        assert.match(image.inputs.imageName, /^aksacr1a2b3c4\.azurecr\.io\/spark:4\.3\.0-[0-9a-f]{12}$/);
        assert.strictEqual(SECRET_SIG in image.inputs.registry, true);
        assert.deepStrictEqual(plain(image.inputs.registry), {
            server: "aksacr1a2b3c4.azurecr.io",
            username: ACR_TOKEN_USERNAME,
            password: cloud.ACR_REFRESH_TOKEN,
        });
        assert.deepStrictEqual(cloud.exchanges, [
            {
                url: "https://aksacr1a2b3c4.azurecr.io/oauth2/exchange",
                body: {
                    grant_type: "access_token",
                    service: "aksacr1a2b3c4.azurecr.io",
                    tenant: cloud.AZURE_TENANT,
                    access_token: cloud.ARM_TOKEN,
                },
            },
        ]);
        assert.match(e.outputs.image, /^aksacr1a2b3c4\.azurecr\.io\/spark@sha256:[0-9a-f]{64}$/);
        for (const d of all(e.resources, "kubernetes:apps/v1:Deployment")) {
            assert.strictEqual(d.inputs.spec.template.spec.containers[0].image, e.outputs.image, d.name);
            assert.strictEqual(d.inputs.spec.template.spec.imagePullSecrets, undefined, `${d.name}: nodes pull with their identity`);
        }
    });

    it("creates every Kubernetes object with the AKS cluster's provider", () => {
        assertAllOnProvider(e, "aks-k8s");
    });

    it("builds the provider from the cluster's user credentials, decoded, as a secret", async () => {
        assert.strictEqual(await isSecret(e.stack.kubeconfig!), true);
        assert.strictEqual(e.outputs.kubeconfig, cloud.AKS_KUBECONFIG);
        assert.strictEqual(plain(one(e.resources, K8S_PROVIDER).inputs.kubeconfig), cloud.AKS_KUBECONFIG);
        assert.strictEqual(e.outputs.clusterName, "aks-cluster-1a2b3c4");
        const creds = cloud.invokes.filter((i) => i.token === "azure-native:containerservice:listManagedClusterUserCredentials");
        assert.deepStrictEqual(
            creds.map((i) => i.inputs),
            [{ resourceGroupName: "aks-rg1a2b3c4", resourceName: "aks-cluster-1a2b3c4" }],
        );
    });

    it("turns the autoscaler off when the pool's bounds are equal", async () => {
        const g = await evaluate(
            {
                target: "aks",
                aksNodeCount: "3",
                aksMinNodes: "3",
                aksMaxNodes: "3",
                aksVmSize: "Standard_E8s_v5",
                aksRegistrySku: "Premium",
            },
            AKS_AMBIENT,
        );
        assert.deepStrictEqual(one(g.resources, "azure-native:containerservice:ManagedCluster").inputs.agentPoolProfiles, [
            {
                name: "system",
                mode: "System",
                osType: "Linux",
                type: "VirtualMachineScaleSets",
                vmSize: "Standard_E8s_v5",
                orchestratorVersion: "1.34",
                count: 3,
                enableAutoScaling: false,
            },
        ]);
        assert.deepStrictEqual(one(g.resources, "azure-native:containerregistry:Registry").inputs.sku, { name: "Premium" });
    });

    it("exposes the web UI on an internal load balancer only when asked", () => {
        assert.deepStrictEqual(aksWebUi("none"), { serviceType: "ClusterIP", annotations: {} });
        assert.deepStrictEqual(aksWebUi("internal"), {
            serviceType: "LoadBalancer",
            annotations: { "service.beta.kubernetes.io/azure-load-balancer-internal": "true" },
        });
        assert.deepStrictEqual(aksWebUi("public"), { serviceType: "LoadBalancer", annotations: {} });
    });

    it("reports a refused token exchange without leaking the token", async () => {
        const saved = globalThis.fetch;
        globalThis.fetch = (async () => new Response("unauthorized", { status: 401, statusText: "Unauthorized" })) as typeof fetch;
        try {
            await assert.rejects(exchangeAcrRefreshToken("r.azurecr.io", "t", "secret-token"), (err: Error) => {
                assert.match(err.message, /ACR r\.azurecr\.io refused the token exchange: HTTP 401 Unauthorized/);
                assert.doesNotMatch(err.message, /secret-token/);
                return true;
            });
        } finally {
            globalThis.fetch = saved;
        }
    });
});

describe("prod stack files", () => {
    it("Pulumi.prod.yaml evaluates to a full EKS graph", async () => {
        const { raw, ambient } = stackFile("prod");
        assert.strictEqual(raw.target, "eks");
        const e = await evaluate(raw, ambient);
        assert.strictEqual(e.outputs.target, "eks");
        const nodes = one(e.resources, "aws:eks/nodeGroup:NodeGroup").inputs;
        assert.deepStrictEqual(nodes.scalingConfig, { desiredSize: 4, minSize: 3, maxSize: 10 });
        assert.deepStrictEqual(nodes.instanceTypes, ["m6i.2xlarge"]);
        assert.strictEqual(e.config.eks?.webUiLoadBalancer, "internal");
        assertUiLoadBalancer(e, eksWebUi("internal").annotations);
        assert.strictEqual(all(e.resources, "kubernetes:apps/v1:Deployment").length, 2);
        assert.strictEqual(e.outputs.workerReplicas, 6);
        assert.match(e.outputs.image, /\.dkr\.ecr\.eu-west-1\.amazonaws\.com\/.+@sha256:/);
        assert.strictEqual(await isSecret(e.stack.kubeconfig!), true);
        assertAllOnProvider(e, "eks-k8s");
    });

    it("Pulumi.prod-aks.yaml evaluates to a full AKS graph", async () => {
        const { raw, ambient } = stackFile("prod-aks");
        assert.strictEqual(raw.target, "aks");
        assert.strictEqual(ambient["azure-native:location"], "westeurope");
        const e = await evaluate(raw, ambient);
        assert.strictEqual(e.outputs.target, "aks");
        const pool = one(e.resources, "azure-native:containerservice:ManagedCluster").inputs.agentPoolProfiles[0];
        assert.deepStrictEqual(
            [pool.vmSize, pool.count, pool.minCount, pool.maxCount, pool.enableAutoScaling],
            ["Standard_D8s_v5", 4, 3, 10, true],
        );
        assert.deepStrictEqual(one(e.resources, "azure-native:containerregistry:Registry").inputs.sku, { name: "Standard" });
        assert.strictEqual(e.config.aks?.webUiLoadBalancer, "internal");
        assertUiLoadBalancer(e, aksWebUi("internal").annotations);
        // master, workers and the History Server, its event logs on Azure Files.
        assert.strictEqual(all(e.resources, "kubernetes:apps/v1:Deployment").length, 3);
        assert.deepStrictEqual(one(e.resources, "kubernetes:core/v1:PersistentVolumeClaim").inputs.spec, {
            accessModes: ["ReadWriteMany"],
            storageClassName: "azurefile-csi",
            resources: { requests: { storage: "50Gi" } },
        });
        assert.strictEqual(e.outputs.historyServerUrl, "http://spark-history.spark.svc.cluster.local:18080");
        assert.strictEqual(e.outputs.workerReplicas, 6);
        assert.match(e.outputs.image, /\.azurecr\.io\/spark@sha256:/);
        assert.strictEqual(await isSecret(e.stack.kubeconfig!), true);
        assertAllOnProvider(e, "aks-k8s");
    });
});
