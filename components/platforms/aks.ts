// Submodule imports: the root `@pulumi/azure-native` module loads every Azure service.
import * as authorization from "@pulumi/azure-native/authorization";
import * as containerregistry from "@pulumi/azure-native/containerregistry";
import * as containerservice from "@pulumi/azure-native/containerservice";
import * as resources from "@pulumi/azure-native/resources";
import type * as azureInputs from "@pulumi/azure-native/types/input";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { AksConfig, WebUiLoadBalancer } from "../config";
import { ImageRegistry, Platform, WebUiExposure } from "./platform";

export interface AksPlatformArgs {
    /** Validated settings of the aks target (components/config.ts). */
    config: AksConfig;
}

/** Built-in role "AcrPull". */
export const ACR_PULL_ROLE = "7f951dda-4ed3-4680-a7ca-43fe172d538d";

/** The user name ACR expects with a refresh token obtained from Entra ID (what `az acr login --expose-token` prints). */
export const ACR_TOKEN_USERNAME = "00000000-0000-0000-0000-000000000000";

/** Name of the one (system) node pool. */
export const AKS_POOL_NAME = "system";

/**
 * An AKS cluster with one system node pool, an Azure Container Registry its nodes pull from with
 * their kubelet identity (AcrPull, no pull secrets), and the Kubernetes provider built from the
 * cluster's user credentials.
 *
 * Pushing with the registry's admin user disabled: the ACR refresh token exchanged for the
 * deploying identity's Entra ID token (see `exchangeAcrRefreshToken`). That identity already needs
 * Owner (or Contributor plus User Access Administrator) here to create the AcrPull assignment, and
 * those roles include push on registries in the default RBAC mode.
 */
export class AksPlatform extends pulumi.ComponentResource implements Platform {
    readonly target = "aks" as const;
    readonly provider: k8s.Provider;
    readonly registry: ImageRegistry;
    /** The workloads run digest-pinned images, so a cached image is always the right one. */
    readonly imagePullPolicy = "IfNotPresent" as const;
    readonly webUi: WebUiExposure;
    readonly internalLoadBalancerAnnotations: Record<string, string>;
    readonly clusterName: pulumi.Output<string>;
    /** Secret: the cluster user's client certificate. */
    readonly kubeconfig: pulumi.Output<string>;
    readonly kubectlContext = undefined;
    readonly resourceGroupName: pulumi.Output<string>;
    /** `<registry>.azurecr.io`. */
    readonly loginServer: pulumi.Output<string>;

    constructor(name: string, args: AksPlatformArgs, opts?: pulumi.ComponentResourceOptions) {
        super("spark-on-k8s:platforms:Aks", name, {}, opts);
        const c = args.config;
        const child = { parent: this };
        const client = authorization.getClientConfigOutput({ parent: this });

        const group = new resources.ResourceGroup(`${name}-rg`, { location: c.location }, child);

        // Registry names are letters and digits only; the provider appends a random suffix.
        const registry = new containerregistry.Registry(
            `${name.replace(/[^A-Za-z0-9]/g, "")}acr`,
            {
                resourceGroupName: group.name,
                location: c.location,
                sku: { name: c.registrySku },
                adminUserEnabled: false,
                anonymousPullEnabled: false,
            },
            child,
        );

        const cluster = new containerservice.ManagedCluster(
            `${name}-cluster`,
            {
                resourceGroupName: group.name,
                location: c.location,
                dnsPrefix: `${name}-spark`,
                kubernetesVersion: c.kubernetesVersion,
                enableRBAC: true,
                identity: { type: "SystemAssigned" },
                agentPoolProfiles: [aksSystemPool(c)],
                // Azure CNI overlay with Cilium: SparkCluster's NetworkPolicy is enforced.
                networkProfile: {
                    networkPlugin: "azure",
                    networkPluginMode: "overlay",
                    networkDataplane: "cilium",
                    networkPolicy: "cilium",
                    loadBalancerSku: "standard",
                },
            },
            // With the autoscaler on, the pool's size is its business after creation.
            { ...child, ignoreChanges: aksAutoscales(c) ? ["agentPoolProfiles[0].count"] : [] },
        );

        const acrPull = new authorization.RoleAssignment(
            `${name}-acr-pull`,
            {
                principalId: cluster.identityProfile.apply((p) => kubeletObjectId(p)),
                principalType: "ServicePrincipal",
                roleDefinitionId: pulumi.interpolate`/subscriptions/${client.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${ACR_PULL_ROLE}`,
                scope: registry.id,
            },
            child,
        );

        const credentials = containerservice.listManagedClusterUserCredentialsOutput(
            { resourceGroupName: group.name, resourceName: cluster.name },
            { parent: this },
        );
        this.kubeconfig = pulumi.secret(credentials.kubeconfigs.apply((list) => decodeKubeconfig(list)));

        const armToken = authorization.getClientTokenOutput({}, { parent: this });
        this.registry = {
            server: registry.loginServer,
            repository: pulumi.interpolate`${registry.loginServer}/spark`,
            username: ACR_TOKEN_USERNAME,
            password: pulumi.secret(
                pulumi
                    .all([registry.loginServer, client.tenantId, armToken.token])
                    .apply(([loginServer, tenantId, token]) => exchangeAcrRefreshToken(loginServer, tenantId, token)),
            ),
        };
        this.clusterName = cluster.name;
        this.resourceGroupName = group.name;
        this.loginServer = registry.loginServer;
        this.webUi = aksWebUi(c.webUiLoadBalancer);
        this.internalLoadBalancerAnnotations = aksWebUi("internal").annotations;
        // Kubernetes objects wait for AcrPull: pods created before it would fail to pull.
        this.provider = new k8s.Provider(`${name}-k8s`, { kubeconfig: this.kubeconfig }, { ...child, dependsOn: [acrPull] });

        this.registerOutputs({
            clusterName: this.clusterName,
            kubeconfig: this.kubeconfig,
            resourceGroupName: this.resourceGroupName,
            loginServer: this.loginServer,
        });
    }
}

/** The cluster autoscaler runs when the pool may change size. */
export function aksAutoscales(c: AksConfig): boolean {
    return c.minNodes < c.maxNodes;
}

/** The one node pool: System mode, so it also runs CoreDNS and the other add-ons. */
export function aksSystemPool(c: AksConfig): azureInputs.containerservice.ManagedClusterAgentPoolProfileArgs {
    const autoscale = aksAutoscales(c);
    return {
        name: AKS_POOL_NAME,
        mode: "System",
        osType: "Linux",
        type: "VirtualMachineScaleSets",
        vmSize: c.vmSize,
        orchestratorVersion: c.kubernetesVersion,
        count: c.nodeCount,
        enableAutoScaling: autoscale,
        minCount: autoscale ? c.minNodes : undefined,
        maxCount: autoscale ? c.maxNodes : undefined,
    };
}

/** The kubelet identity's object id, the principal that pulls images on the nodes. */
export function kubeletObjectId(profile: Record<string, { objectId?: string }> | undefined): string {
    const id = profile?.kubeletidentity?.objectId;
    if (id === undefined) {
        throw new Error("the AKS cluster reports no kubelet identity (identityProfile.kubeletidentity.objectId)");
    }
    return id;
}

/** The first kubeconfig of a credentials listing, decoded from base64. */
export function decodeKubeconfig(list: ReadonlyArray<{ name?: string; value?: string }>): string {
    const value = list[0]?.value;
    if (value === undefined) {
        throw new Error("the AKS cluster returned no user kubeconfig");
    }
    return Buffer.from(value, "base64").toString("utf8");
}

/**
 * Exchanges an Entra ID access token (for Azure Resource Manager) for an ACR refresh token: the
 * documented flow of ACR's `/oauth2/exchange` endpoint, the one `az acr login` uses. The refresh
 * token is the password of user `ACR_TOKEN_USERNAME`, valid for about three hours, and grants what
 * the identity's roles grant on the registry.
 *
 * Alternatives that do not work with the admin user disabled, or not in Pulumi alone:
 * `listRegistryCredentials` returns the admin user's passwords only; a repository-scoped
 * `containerregistry.Token` has no password until the `generateCredentials` action runs, which
 * azure-native does not expose (pulumi/pulumi-azure-native#3099).
 */
export async function exchangeAcrRefreshToken(loginServer: string, tenantId: string, accessToken: string): Promise<string> {
    const response = await fetch(`https://${loginServer}/oauth2/exchange`, {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({
            grant_type: "access_token",
            service: loginServer,
            tenant: tenantId,
            access_token: accessToken,
        }).toString(),
    });
    if (!response.ok) {
        throw new Error(`ACR ${loginServer} refused the token exchange: HTTP ${response.status} ${response.statusText}`);
    }
    const body = (await response.json()) as { refresh_token?: string };
    if (typeof body.refresh_token !== "string" || body.refresh_token === "") {
        throw new Error(`ACR ${loginServer} answered the token exchange without a refresh_token`);
    }
    return body.refresh_token;
}

/** Load balancer annotations for the web UI: AKS's cloud provider makes it internal on request. */
export function aksWebUi(mode: WebUiLoadBalancer): WebUiExposure {
    switch (mode) {
        case "none":
            return { serviceType: "ClusterIP", annotations: {} };
        case "internal":
            return { serviceType: "LoadBalancer", annotations: { "service.beta.kubernetes.io/azure-load-balancer-internal": "true" } };
        case "public":
            return { serviceType: "LoadBalancer", annotations: {} };
    }
}
