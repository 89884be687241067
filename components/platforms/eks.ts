// Submodule imports: the root `@pulumi/aws` and `@pulumi/awsx` modules load every service.
import * as ecr from "@pulumi/aws/ecr";
import * as eks from "@pulumi/aws/eks";
import * as iam from "@pulumi/aws/iam";
import * as ec2x from "@pulumi/awsx/ec2";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { EksConfig, WebUiLoadBalancer } from "../config";
import { ImageRegistry, Platform, WebUiExposure } from "./platform";

export interface EksPlatformArgs {
    /** Validated settings of the eks target (components/config.ts). */
    config: EksConfig;
}

/** AWS managed policies of the EKS control plane's role. */
export const EKS_CLUSTER_POLICIES = ["AmazonEKSClusterPolicy"] as const;
/** AWS managed policies of the nodes' role: join the cluster, run the VPC CNI, pull from ECR (no pull secrets). */
export const EKS_NODE_POLICIES = ["AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "AmazonEC2ContainerRegistryReadOnly"] as const;

/** Availability zones of a VPC this component creates: every region has at least two, EKS needs two. */
export const EKS_VPC_ZONES = 2;

/**
 * An EKS cluster with one managed node group on private subnets, an ECR repository the Spark image
 * is pushed to, and the Kubernetes provider built from the cluster's kubeconfig.
 *
 * Built from `@pulumi/aws` primitives rather than the `@pulumi/eks` component: every resource shows
 * up in `pulumi preview` and in the unit tests, and nothing inside creates Kubernetes objects with
 * a provider of its own (the project disables the default Kubernetes provider).
 */
export class EksPlatform extends pulumi.ComponentResource implements Platform {
    readonly target = "eks" as const;
    readonly provider: k8s.Provider;
    readonly registry: ImageRegistry;
    /** The workloads run digest-pinned images, so a cached image is always the right one. */
    readonly imagePullPolicy = "IfNotPresent" as const;
    readonly webUi: WebUiExposure;
    readonly internalLoadBalancerAnnotations: Record<string, string>;
    readonly clusterName: pulumi.Output<string>;
    /** Secret. Authenticates with `aws eks get-token`, so it holds no credential of its own. */
    readonly kubeconfig: pulumi.Output<string>;
    readonly kubectlContext = undefined;
    /** `<account>.dkr.ecr.<region>.amazonaws.com/<name>`. */
    readonly repositoryUrl: pulumi.Output<string>;

    constructor(name: string, args: EksPlatformArgs, opts?: pulumi.ComponentResourceOptions) {
        super("spark-on-k8s:platforms:Eks", name, {}, opts);
        const c = args.config;
        const child = { parent: this };
        const partition = awsPartition(c.region);

        const subnetIds: pulumi.Input<string[]> =
            c.subnetIds.length > 0 ? [...c.subnetIds] : new ec2x.Vpc(`${name}-vpc`, eksVpcArgs(), child).privateSubnetIds;

        const clusterRole = new iam.Role(`${name}-cluster-role`, { assumeRolePolicy: assumeRolePolicy("eks.amazonaws.com") }, child);
        const clusterPolicies = EKS_CLUSTER_POLICIES.map(
            (policy) =>
                new iam.RolePolicyAttachment(
                    `${name}-cluster-${policy}`,
                    { role: clusterRole.name, policyArn: managedPolicyArn(partition, policy) },
                    child,
                ),
        );
        const nodeRole = new iam.Role(`${name}-node-role`, { assumeRolePolicy: assumeRolePolicy("ec2.amazonaws.com") }, child);
        const nodePolicies = EKS_NODE_POLICIES.map(
            (policy) =>
                new iam.RolePolicyAttachment(
                    `${name}-node-${policy}`,
                    { role: nodeRole.name, policyArn: managedPolicyArn(partition, policy) },
                    child,
                ),
        );

        const cluster = new eks.Cluster(
            `${name}-cluster`,
            {
                version: c.kubernetesVersion,
                roleArn: clusterRole.arn,
                vpcConfig: { subnetIds, endpointPrivateAccess: true, endpointPublicAccess: true },
                // Access entries instead of the aws-auth ConfigMap; whoever runs `pulumi up` is admin.
                accessConfig: { authenticationMode: "API", bootstrapClusterCreatorAdminPermissions: true },
            },
            { ...child, dependsOn: clusterPolicies },
        );

        // The VPC CNI enforces NetworkPolicy (SparkCluster's) only when told to.
        const cni = new eks.Addon(
            `${name}-vpc-cni`,
            {
                clusterName: cluster.name,
                addonName: "vpc-cni",
                configurationValues: JSON.stringify({ enableNetworkPolicy: "true" }),
                resolveConflictsOnCreate: "OVERWRITE",
                resolveConflictsOnUpdate: "OVERWRITE",
            },
            child,
        );

        const nodes = new eks.NodeGroup(
            `${name}-nodes`,
            {
                clusterName: cluster.name,
                version: c.kubernetesVersion,
                nodeRoleArn: nodeRole.arn,
                subnetIds,
                instanceTypes: [c.instanceType],
                amiType: "AL2023_x86_64_STANDARD",
                scalingConfig: { desiredSize: c.nodeCount, minSize: c.minNodes, maxSize: c.maxNodes },
                updateConfig: { maxUnavailable: 1 },
            },
            { ...child, dependsOn: [...nodePolicies, cni] },
        );

        const repository = new ecr.Repository(
            `${name}-spark`,
            {
                imageScanningConfiguration: { scanOnPush: true },
                // Tags are per content, but a rebuild elsewhere may give the same tag a new digest.
                imageTagMutability: "MUTABLE",
                // `pulumi destroy` removes the pushed images with the repository.
                forceDelete: true,
            },
            child,
        );
        new ecr.LifecyclePolicy(
            `${name}-spark-lifecycle`,
            { repository: repository.name, policy: JSON.stringify(ecrLifecyclePolicy(c.ecrKeepImages)) },
            child,
        );
        // A 12-hour token, fetched on every run; pushes happen in the same run.
        const token = ecr.getAuthorizationTokenOutput({ registryId: repository.registryId }, { parent: this });

        this.repositoryUrl = repository.repositoryUrl;
        this.registry = {
            server: repository.repositoryUrl.apply((url) => url.split("/")[0]),
            repository: repository.repositoryUrl,
            username: token.userName,
            password: pulumi.secret(token.password),
        };
        this.clusterName = cluster.name;
        this.kubeconfig = pulumi.secret(
            pulumi
                .all([cluster.name, cluster.endpoint, cluster.certificateAuthority])
                .apply(([clusterName, endpoint, ca]) =>
                    eksKubeconfig({ clusterName, endpoint, caData: ca.data ?? "", region: c.region, awsProfile: c.awsProfile }),
                ),
        );
        this.webUi = eksWebUi(c.webUiLoadBalancer);
        this.internalLoadBalancerAnnotations = eksWebUi("internal").annotations;
        // Kubernetes objects wait for the nodes: a Deployment's rollout cannot finish without them.
        this.provider = new k8s.Provider(`${name}-k8s`, { kubeconfig: this.kubeconfig }, { ...child, dependsOn: [nodes] });

        this.registerOutputs({ clusterName: this.clusterName, kubeconfig: this.kubeconfig, repositoryUrl: this.repositoryUrl });
    }
}

/** The partition of a region's ARNs. */
export function awsPartition(region: string): string {
    if (region.startsWith("cn-")) {
        return "aws-cn";
    }
    if (region.startsWith("us-gov-")) {
        return "aws-us-gov";
    }
    return "aws";
}

export function managedPolicyArn(partition: string, policy: string): string {
    return `arn:${partition}:iam::aws:policy/${policy}`;
}

/** Trust policy letting an AWS service assume a role. */
export function assumeRolePolicy(service: string): string {
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole" }],
    });
}

/**
 * A VPC for the cluster: nodes on private subnets behind one NAT gateway (one, not one per zone:
 * the cost driver of the VPC), public subnets for internet-facing load balancers. The subnet tags
 * tell Kubernetes where internal and internet-facing load balancers go.
 */
export function eksVpcArgs(): ec2x.VpcArgs {
    return {
        numberOfAvailabilityZones: EKS_VPC_ZONES,
        enableDnsHostnames: true,
        natGateways: { strategy: "Single" },
        subnetSpecs: [
            { type: "Private", tags: { "kubernetes.io/role/internal-elb": "1" } },
            { type: "Public", tags: { "kubernetes.io/role/elb": "1" } },
        ],
    };
}

/** ECR lifecycle policy: expire all but the `keep` most recently pushed images. */
export function ecrLifecyclePolicy(keep: number): object {
    return {
        rules: [
            {
                rulePriority: 1,
                description: `Keep the last ${keep} images`,
                selection: { tagStatus: "any", countType: "imageCountMoreThan", countNumber: keep },
                action: { type: "expire" },
            },
        ],
    };
}

/**
 * Load balancer annotations for the web UI. Internal: both the in-tree annotation (what EKS's own
 * cloud controller reads when it makes a Classic Load Balancer, the case without add-ons) and the
 * AWS Load Balancer Controller's scheme (the case once that controller is installed, which would
 * otherwise pick the Service up); so the UI stays private whichever controller serves it.
 */
export function eksWebUi(mode: WebUiLoadBalancer): WebUiExposure {
    switch (mode) {
        case "none":
            return { serviceType: "ClusterIP", annotations: {} };
        case "internal":
            return {
                serviceType: "LoadBalancer",
                annotations: {
                    "service.beta.kubernetes.io/aws-load-balancer-internal": "true",
                    "service.beta.kubernetes.io/aws-load-balancer-scheme": "internal",
                },
            };
        case "public":
            return {
                serviceType: "LoadBalancer",
                annotations: { "service.beta.kubernetes.io/aws-load-balancer-scheme": "internet-facing" },
            };
    }
}

export interface EksKubeconfigArgs {
    clusterName: string;
    endpoint: string;
    /** Base64 PEM of the cluster CA. */
    caData: string;
    region: string;
    awsProfile?: string;
}

/**
 * A kubeconfig (JSON, which is YAML) that authenticates with `aws eks get-token`, the AWS CLI's
 * short-lived token: it stays valid as long as the caller's AWS credentials do.
 */
export function eksKubeconfig(a: EksKubeconfigArgs): string {
    return JSON.stringify(
        {
            apiVersion: "v1",
            kind: "Config",
            clusters: [{ name: a.clusterName, cluster: { server: a.endpoint, "certificate-authority-data": a.caData } }],
            contexts: [{ name: a.clusterName, context: { cluster: a.clusterName, user: a.clusterName } }],
            "current-context": a.clusterName,
            preferences: {},
            users: [
                {
                    name: a.clusterName,
                    user: {
                        exec: {
                            apiVersion: "client.authentication.k8s.io/v1beta1",
                            command: "aws",
                            args: ["eks", "get-token", "--cluster-name", a.clusterName, "--region", a.region, "--output", "json"],
                            env: a.awsProfile === undefined ? null : [{ name: "AWS_PROFILE", value: a.awsProfile }],
                            interactiveMode: "Never",
                        },
                    },
                },
            ],
        },
        null,
        2,
    );
}
