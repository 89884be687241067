// The kubeconfig a minikube or existing stack deploys through must name exactly one usable
// cluster. Anything else is refused before a provider exists: a provider handed an empty
// kubeconfig falls back to the ambient one, and would deploy wherever the shell points.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as yaml from "js-yaml";

interface Named {
    name?: unknown;
}
interface KubeconfigFile {
    kind?: unknown;
    "current-context"?: unknown;
    contexts?: (Named & { context?: { cluster?: unknown; user?: unknown } })[];
    clusters?: (Named & { cluster?: { server?: unknown } })[];
    users?: Named[];
}

/** A problem with the key it belongs to (as the loader reports it). */
export interface KubeconfigProblem {
    readonly key: "kubeconfigPath" | "kubeContext";
    readonly value: string;
    readonly allowed: string;
}

/** The files the Kubernetes clients read when no kubeconfig is given: $KUBECONFIG's list, or ~/.kube/config. */
export function ambientKubeconfigFiles(env: NodeJS.ProcessEnv = process.env): string[] {
    const list = env.KUBECONFIG?.split(path.delimiter).filter((f) => f !== "");
    return list !== undefined && list.length > 0 ? list : [path.join(env.HOME ?? os.homedir(), ".kube", "config")];
}

const names = (items: Named[] | undefined): string[] =>
    (items ?? []).map((i) => i.name).filter((n): n is string => typeof n === "string" && n !== "");

/**
 * Checks that `kubeconfigPath` (or, when undefined, the ambient kubeconfig) holds the context
 * `kubeContext` (or, when undefined, `defaultContext`, or else its current context), and that this
 * context names a cluster with a server and a user the file defines.
 */
export function checkKubeconfig(
    kubeconfigPath: string | undefined,
    kubeContext: string | undefined,
    defaultContext: string | undefined,
    env: NodeJS.ProcessEnv = process.env,
): KubeconfigProblem[] {
    const given = kubeconfigPath !== undefined;
    const files = given ? [kubeconfigPath] : ambientKubeconfigFiles(env).filter((f) => fs.existsSync(f));
    const pathKey = { key: "kubeconfigPath", value: kubeconfigPath ?? "" } as const;
    if (given && !fs.existsSync(kubeconfigPath)) {
        return [{ ...pathKey, allowed: "must name an existing kubeconfig file (relative to the project folder)" }];
    }
    if (files.length === 0) {
        return [
            {
                ...pathKey,
                allowed: `no kubeconfig to deploy through: ${ambientKubeconfigFiles(env).join(", ")} does not exist; set kubeconfigPath to a kubeconfig file, or start the cluster (minikube start) first`,
            },
        ];
    }
    // Several files merge as kubectl merges them: the first to define a name wins.
    const merged: KubeconfigFile = { contexts: [], clusters: [], users: [] };
    for (const file of files) {
        let doc: unknown;
        try {
            doc = yaml.load(fs.readFileSync(file, "utf8"));
        } catch (err) {
            return [{ ...pathKey, value: file, allowed: `must be a readable YAML kubeconfig (${(err as Error).message.split("\n")[0]})` }];
        }
        // An empty file is an empty kubeconfig: it has no context, said below.
        const k = (doc ?? {}) as KubeconfigFile;
        if (typeof k !== "object" || Array.isArray(k) || (k.kind !== undefined && k.kind !== "Config")) {
            return [{ ...pathKey, value: file, allowed: "must be a kubeconfig (kind: Config)" }];
        }
        merged["current-context"] ??= k["current-context"];
        merged.contexts!.push(...(k.contexts ?? []));
        merged.clusters!.push(...(k.clusters ?? []));
        merged.users!.push(...(k.users ?? []));
    }
    const where = given ? kubeconfigPath : files.join(", ");
    const contexts = names(merged.contexts);
    if (contexts.length === 0) {
        return [{ ...pathKey, value: where, allowed: "must hold at least one context; this kubeconfig has none" }];
    }
    const current =
        typeof merged["current-context"] === "string" && merged["current-context"] !== "" ? merged["current-context"] : undefined;
    const wanted = kubeContext ?? defaultContext ?? current;
    const contextKey = { key: "kubeContext", value: kubeContext ?? "" } as const;
    if (wanted === undefined) {
        return [
            { ...contextKey, allowed: `must name one of the contexts in ${where} (${contexts.join(", ")}): it sets no current-context` },
        ];
    }
    const context = merged.contexts!.find((c) => c.name === wanted);
    if (context === undefined) {
        const which = kubeContext !== undefined ? "" : ` (empty means "${wanted}")`;
        return [{ ...contextKey, allowed: `must be one of the contexts in ${where}${which}: ${contexts.join(", ")}` }];
    }
    const cluster = merged.clusters!.find((c) => c.name === context.context?.cluster);
    if (cluster === undefined || typeof cluster.cluster?.server !== "string" || cluster.cluster.server === "") {
        return [
            {
                ...contextKey,
                value: wanted,
                allowed: `names cluster ${JSON.stringify(context.context?.cluster ?? "")}, which ${where} does not define with a server`,
            },
        ];
    }
    if (context.context?.user !== undefined && !names(merged.users).includes(context.context.user as string)) {
        return [
            { ...contextKey, value: wanted, allowed: `names user ${JSON.stringify(context.context.user)}, which ${where} does not define` },
        ];
    }
    return [];
}
