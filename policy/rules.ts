// The rules of the spark-on-k8s policy pack, without the pack itself (index.ts serves them), so
// unit tests call each rule's validateResource directly.
import { ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";

// Resource properties as the engine hands them over: untyped Kubernetes objects.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Props = Record<string, any>;

/** A container as it appears in a resource's properties, with where it sits. */
interface FoundContainer {
    container: Props;
    pod: Props;
}

/** The pod spec inside a workload (or a Pod) of the given resource type; undefined for other types. */
export function podSpecOf(type: string, props: Props): Props | undefined {
    switch (type) {
        case "kubernetes:core/v1:Pod":
            return props.spec;
        case "kubernetes:apps/v1:Deployment":
        case "kubernetes:apps/v1:StatefulSet":
        case "kubernetes:apps/v1:DaemonSet":
        case "kubernetes:apps/v1:ReplicaSet":
        case "kubernetes:core/v1:ReplicationController":
        case "kubernetes:batch/v1:Job":
            return props.spec?.template?.spec;
        case "kubernetes:batch/v1:CronJob":
            return props.spec?.jobTemplate?.spec?.template?.spec;
        default:
            return undefined;
    }
}

/** Init and regular containers of a pod-bearing resource. */
export function containersOf(type: string, props: Props): FoundContainer[] {
    const pod = podSpecOf(type, props);
    if (pod === undefined) {
        return [];
    }
    return [...(pod.initContainers ?? []), ...(pod.containers ?? [])].map((container: Props) => ({ container, pod }));
}

/** Why an image reference is not pinned, or undefined if it is (a tag other than latest, or a digest). */
export function imagePinProblem(image: unknown): string | undefined {
    if (typeof image !== "string" || image === "") {
        return "has no image";
    }
    if (/@sha256:[0-9a-f]{64}$/.test(image)) {
        return undefined;
    }
    // The tag follows the last ':' after the last '/' (a registry host may carry a port).
    const lastPart = image.slice(image.lastIndexOf("/") + 1);
    const colon = lastPart.lastIndexOf(":");
    if (colon === -1) {
        return `uses the untagged image ${image} (that is :latest)`;
    }
    if (lastPart.slice(colon + 1) === "latest") {
        return `uses ${image}: :latest moves`;
    }
    return undefined;
}

/** Why a container may run as root, or undefined if it cannot. */
export function rootProblem(container: Props, pod: Props): string | undefined {
    const runAsUser = container.securityContext?.runAsUser ?? pod.securityContext?.runAsUser;
    const runAsNonRoot = container.securityContext?.runAsNonRoot ?? pod.securityContext?.runAsNonRoot;
    if (runAsUser === 0) {
        return "runs as UID 0";
    }
    if (runAsNonRoot !== true && !(typeof runAsUser === "number" && runAsUser > 0)) {
        return "may run as root: set securityContext.runAsNonRoot: true (pod or container) or a non-zero runAsUser";
    }
    return undefined;
}

/** The Spark RPC port; a load balancer never carries it. */
export const SPARK_RPC_PORT = 7077;

/** The entrypoint roles that run Spark daemons, taken from the container's first argument. */
export const SPARK_DAEMON_ROLES = ["master", "worker"];

/**
 * Why a Spark master or worker container does not follow the RPC authentication contract, or
 * undefined if it does: env SPARK_AUTH_SECRET_FILE names a file inside a volume mounted from a
 * Secret (the image's entrypoint then turns spark.authenticate on with that secret).
 */
export function rpcAuthProblem(container: Props, pod: Props): string | undefined {
    const file = (container.env ?? []).find((e: Props) => e.name === "SPARK_AUTH_SECRET_FILE")?.value;
    if (typeof file !== "string" || !file.startsWith("/")) {
        return "does not set env SPARK_AUTH_SECRET_FILE to an absolute file path";
    }
    const mount = (container.volumeMounts ?? []).find(
        (m: Props) => typeof m.mountPath === "string" && file.startsWith(`${m.mountPath.replace(/\/$/, "")}/`),
    );
    if (mount === undefined) {
        return `mounts no volume that holds SPARK_AUTH_SECRET_FILE=${file}`;
    }
    const volume = (pod.volumes ?? []).find((v: Props) => v.name === mount.name);
    const fromSecret = volume?.secret !== undefined || (volume?.projected?.sources ?? []).some((s: Props) => s.secret !== undefined);
    if (!fromSecret) {
        return `holds SPARK_AUTH_SECRET_FILE in volume ${mount.name}, which is not a Secret`;
    }
    return undefined;
}

function label(c: Props): string {
    return `container ${c.name ?? "(unnamed)"}`;
}

export const containerResources: ResourceValidationPolicy = {
    name: "container-resources",
    description: "Every container has cpu and memory requests and limits.",
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) => {
        for (const { container } of containersOf(args.type, args.props)) {
            const missing = ["requests", "limits"].flatMap((kind) =>
                ["cpu", "memory"].filter((r) => container.resources?.[kind]?.[r] === undefined).map((r) => `${kind}.${r}`),
            );
            if (missing.length > 0) {
                reportViolation(`${label(container)} has no ${missing.join(", ")}`);
            }
        }
    },
};

export const pinnedImages: ResourceValidationPolicy = {
    name: "pinned-images",
    description: "Every container image has a tag other than latest, or a digest.",
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) => {
        for (const { container } of containersOf(args.type, args.props)) {
            const problem = imagePinProblem(container.image);
            if (problem !== undefined) {
                reportViolation(`${label(container)} ${problem}`);
            }
        }
    },
};

export const nonRootContainers: ResourceValidationPolicy = {
    name: "non-root-containers",
    description: "Every container runs as a non-root user.",
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) => {
        for (const { container, pod } of containersOf(args.type, args.props)) {
            const problem = rootProblem(container, pod);
            if (problem !== undefined) {
                reportViolation(`${label(container)} ${problem}`);
            }
        }
    },
};

export interface LoadBalancerConfig {
    /** The stack opted in to a load balancer for the Spark web UI (the stack's webUiLoadBalancer). */
    allowLoadBalancer?: boolean;
}

export const loadBalancerOptIn: ResourceValidationPolicy = {
    name: "load-balancer-opt-in",
    description:
        "No Service of type LoadBalancer unless the stack opted in (config allowLoadBalancer), and never one carrying the Spark RPC port.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            allowLoadBalancer: {
                type: "boolean",
                default: false,
                description: "Set true for stacks with webUiLoadBalancer: true",
            },
        },
    },
    validateResource: (args, reportViolation) => {
        if (args.type !== "kubernetes:core/v1:Service" || args.props.spec?.type !== "LoadBalancer") {
            return;
        }
        const name = args.props.metadata?.name ?? args.name;
        if (args.getConfig<LoadBalancerConfig>().allowLoadBalancer !== true) {
            reportViolation(`Service ${name} is a LoadBalancer, but this stack did not opt in (policy config allowLoadBalancer)`);
            return;
        }
        const rpc = (args.props.spec.ports ?? []).filter(
            (p: Props) => p.port === SPARK_RPC_PORT || p.targetPort === SPARK_RPC_PORT || p.targetPort === "rpc",
        );
        if (rpc.length > 0) {
            reportViolation(
                `Service ${name} is a LoadBalancer carrying the Spark RPC port ${SPARK_RPC_PORT}: only the web UI may be published`,
            );
        }
    },
};

export interface RpcAuthConfig {
    /** The Spark cluster must run with RPC authentication (the documented contract, see rpcAuthProblem). */
    requireRpcAuth?: boolean;
}

export const sparkRpcAuthentication: ResourceValidationPolicy = {
    name: "spark-rpc-authentication",
    description: "With requireRpcAuth, Spark master and worker containers mount a Secret and set SPARK_AUTH_SECRET_FILE to a file in it.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            requireRpcAuth: {
                type: "boolean",
                default: false,
                description: "Require Spark RPC authentication (off until the program implements it)",
            },
        },
    },
    validateResource: (args: ResourceValidationArgs, reportViolation) => {
        if (args.getConfig<RpcAuthConfig>().requireRpcAuth !== true) {
            return;
        }
        for (const { container, pod } of containersOf(args.type, args.props)) {
            const role = container.args?.[0];
            if (!SPARK_DAEMON_ROLES.includes(role)) {
                continue;
            }
            const problem = rpcAuthProblem(container, pod);
            if (problem !== undefined) {
                reportViolation(`Spark ${role} ${label(container)} ${problem}`);
            }
        }
    },
};

/** Every rule of the pack, in the order they are reported. */
export const policies: ResourceValidationPolicy[] = [
    containerResources,
    pinnedImages,
    nonRootContainers,
    loadBalancerOptIn,
    sparkRpcAuthentication,
];
