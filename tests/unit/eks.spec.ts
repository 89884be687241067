// The eks target on mocks: the cloud resources and their key inputs, the provider every
// Kubernetes object uses, the image pushed to ECR, secret outputs.
import * as assert from "assert";
import { EksConfig } from "../../components/config";
import { eksWebUi, EksPlatform } from "../../components/platforms/eks";
import * as cloud from "../../tooling/mocks/cloudMocks";
import { all, evaluate, Evaluation, isSecret, one, parseAny, resolve } from "../../tooling/mocks/mocks";
import { settings, EKS_AMBIENT, SECRET_SIG, DOCKER_IMAGE, K8S_PROVIDER, plain, assertAllOnProvider } from "./cloudSpecs";

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
