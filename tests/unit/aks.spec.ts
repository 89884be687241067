// The aks target on mocks: the cloud resources and their key inputs, the provider every
// Kubernetes object uses, the image pushed to ACR, secret outputs.
import * as assert from "assert";
import { aksWebUi, ACR_PULL_ROLE, ACR_TOKEN_USERNAME, exchangeAcrRefreshToken } from "../../components/platforms/aks";
import * as cloud from "../../tooling/mocks/cloudMocks";
import { all, evaluate, Evaluation, isSecret, one } from "../../tooling/mocks/mocks";
import { AKS_AMBIENT, SECRET_SIG, DOCKER_IMAGE, K8S_PROVIDER, plain, assertAllOnProvider } from "./cloudSpecs";

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
