// What the AWS and Azure providers (and ACR's token endpoint) would answer, taught to the shared
// mocks. Importing this module installs it; specs that evaluate the eks or aks target import it.
import { extendMocks } from "./mocks";

export const AWS_ACCOUNT = "123456789012";
export const AWS_REGION = "eu-west-1";
export const VPC_ID = "vpc-0a1b2c3d4e5f60718";
export const PRIVATE_SUBNETS = ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"];
export const PUBLIC_SUBNETS = ["subnet-0bbbbbbbbbbbbbbb1", "subnet-0bbbbbbbbbbbbbbb2"];
export const EKS_ENDPOINT = "https://0123456789ABCDEF0123456789ABCDEF.gr7.eu-west-1.eks.amazonaws.com";
export const EKS_CA_DATA = Buffer.from("-----BEGIN CERTIFICATE-----\nunit\n-----END CERTIFICATE-----\n").toString("base64");
export const ECR_PASSWORD = "ecr-password-from-getAuthorizationToken";

export const AZURE_SUBSCRIPTION = "00000000-1111-2222-3333-444444444444";
export const AZURE_TENANT = "55555555-6666-7777-8888-999999999999";
export const DEPLOYER_OBJECT_ID = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee";
export const KUBELET_OBJECT_ID = "12345678-90ab-cdef-1234-567890abcdef";
export const ARM_TOKEN = "entra-id-access-token-for-arm";
export const ACR_REFRESH_TOKEN = "acr-refresh-token-from-oauth2-exchange";
export const AKS_KUBECONFIG = [
    "apiVersion: v1",
    "kind: Config",
    "clusters:",
    "- name: aks-cluster",
    "  cluster:",
    "    server: https://aks-spark-abc123.hcp.westeurope.azmk8s.io:443",
    "    certificate-authority-data: Q0E=",
    "contexts:",
    "- name: aks-cluster",
    "  context: { cluster: aks-cluster, user: clusterUser_aks-cluster }",
    "current-context: aks-cluster",
    "users:",
    "- name: clusterUser_aks-cluster",
    "  user: { client-certificate-data: Q0VSVA==, client-key-data: S0VZ, token: unit-token }",
    "",
].join("\n");

/** A provider-style autoname: the resource name plus a random-looking suffix. */
const autoname = (name: string, sep = "-") => `${name}${sep}1a2b3c4`;

/** Invokes the program made, in order, with their inputs. */
export const invokes: Array<{ token: string; inputs: Record<string, any> }> = [];
/** Requests the program sent to ACR's token endpoint. */
export const exchanges: Array<{ url: string; body: Record<string, string> }> = [];

const recordInvoke =
    (token: string, result: (inputs: Record<string, any>) => Record<string, any>) =>
    (inputs: Record<string, any>): Record<string, any> => {
        invokes.push({ token, inputs });
        return result(inputs);
    };

extendMocks({
    state: {
        "awsx:ec2:Vpc": () => ({ vpcId: VPC_ID, privateSubnetIds: PRIVATE_SUBNETS, publicSubnetIds: PUBLIC_SUBNETS }),
        "aws:iam/role:Role": (args) => {
            const name = args.inputs.name ?? autoname(args.name);
            return { name, arn: `arn:aws:iam::${AWS_ACCOUNT}:role/${name}` };
        },
        "aws:eks/cluster:Cluster": (args) => {
            const name = args.inputs.name ?? autoname(args.name);
            return {
                name,
                arn: `arn:aws:eks:${AWS_REGION}:${AWS_ACCOUNT}:cluster/${name}`,
                endpoint: EKS_ENDPOINT,
                certificateAuthority: { data: EKS_CA_DATA },
                status: "ACTIVE",
            };
        },
        "aws:ecr/repository:Repository": (args) => {
            const name = args.inputs.name ?? autoname(args.name);
            return {
                name,
                registryId: AWS_ACCOUNT,
                repositoryUrl: `${AWS_ACCOUNT}.dkr.ecr.${AWS_REGION}.amazonaws.com/${name}`,
            };
        },
        "azure-native:resources:ResourceGroup": (args) => ({ name: args.inputs.resourceGroupName ?? autoname(args.name, "") }),
        "azure-native:containerregistry:Registry": (args) => {
            const name = args.inputs.registryName ?? autoname(args.name, "");
            return { name, loginServer: `${name}.azurecr.io` };
        },
        "azure-native:containerservice:ManagedCluster": (args) => ({
            name: args.inputs.resourceName ?? autoname(args.name),
            fqdn: "aks-spark-abc123.hcp.westeurope.azmk8s.io",
            identityProfile: { kubeletidentity: { objectId: KUBELET_OBJECT_ID, clientId: "kubelet-client-id" } },
        }),
    },
    calls: {
        "aws:ecr/getAuthorizationToken:getAuthorizationToken": recordInvoke(
            "aws:ecr/getAuthorizationToken:getAuthorizationToken",
            (inputs) => ({
                id: AWS_REGION,
                region: AWS_REGION,
                registryId: inputs.registryId,
                userName: "AWS",
                password: ECR_PASSWORD,
                authorizationToken: Buffer.from(`AWS:${ECR_PASSWORD}`).toString("base64"),
                proxyEndpoint: `https://${AWS_ACCOUNT}.dkr.ecr.${AWS_REGION}.amazonaws.com`,
                expiresAt: "2030-01-01T12:00:00Z",
            }),
        ),
        "azure-native:authorization:getClientConfig": recordInvoke("azure-native:authorization:getClientConfig", () => ({
            clientId: "deployer-client-id",
            objectId: DEPLOYER_OBJECT_ID,
            subscriptionId: AZURE_SUBSCRIPTION,
            tenantId: AZURE_TENANT,
        })),
        "azure-native:authorization:getClientToken": recordInvoke("azure-native:authorization:getClientToken", () => ({
            token: ARM_TOKEN,
        })),
        "azure-native:containerservice:listManagedClusterUserCredentials": recordInvoke(
            "azure-native:containerservice:listManagedClusterUserCredentials",
            () => ({ kubeconfigs: [{ name: "clusterUser", value: Buffer.from(AKS_KUBECONFIG).toString("base64") }] }),
        ),
    },
});

// Unit tests never leave the machine: the only request the program may send is ACR's token exchange.
globalThis.fetch = (async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = String(input instanceof Request ? input.url : input);
    if (!/^https:\/\/[a-z0-9]+\.azurecr\.io\/oauth2\/exchange$/.test(url) || init?.method !== "POST") {
        throw new Error(`unexpected request in a unit test: ${init?.method ?? "GET"} ${url}`);
    }
    exchanges.push({ url, body: Object.fromEntries(new URLSearchParams(String(init.body))) });
    return new Response(JSON.stringify({ refresh_token: ACR_REFRESH_TOKEN }), {
        status: 200,
        headers: { "Content-Type": "application/json" },
    });
}) as typeof fetch;
