// The one shared Pulumi mocks module of the unit tier. Importing it installs the mocks; specs
// then call `evaluate` to run the program for a given config and get what it registered.
import * as pulumi from "@pulumi/pulumi";
import { standInHome } from "./kubeconfig";
import { AksConfig, EksConfig, parseConfig, StackConfig } from "../../components/config";
import { createSparkStack, StackOutputs } from "../../components/sparkStack";

// The SDK's own "every pending registration is done" barrier; not in its typings.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const settings = require("@pulumi/pulumi/runtime/settings") as { waitForRPCs(): Promise<void> };

// The ambient kubeconfig (~/.kube/config) the minikube target deploys through, for every
// evaluation on mocks: a home of its own, so a developer's real kubeconfig is never read.
standInHome("minikube");

/** A parsed config read without narrowing on its target (specs compare what each target gets). */
export type AnyTarget = StackConfig & Partial<{ eks: EksConfig; aks: AksConfig; kubeContext: string; kubeconfigPath: string }>;
export const parseAny = (raw: Record<string, string>, ambient: Record<string, string> = {}): AnyTarget => parseConfig(raw, ambient);

/** Project the mocks report; exampleProgram.ts sets it for the example projects under examples/. */
export const PROJECT = process.env.SPARK_MOCK_PROJECT ?? "spark-on-k8s";
/** Stack name the mocks report; the program evaluator (program.ts) sets it per stack file. */
export const STACK = process.env.SPARK_MOCK_STACK ?? "unit";

/** One registered resource, as the engine would have received it. */
export interface Recorded {
    type: string;
    name: string;
    inputs: Record<string, any>;
    /** `urn::id` of the explicit provider, or undefined for none (a default provider). */
    provider?: string;
    custom: boolean;
}

let recorded: Recorded[] = [];

/** Everything registered since the last `evaluate` (or since start-up). */
export function registered(): Recorded[] {
    return recorded;
}

/** How the engine marks a secret value on the wire: `{[SECRET_KEY]: SECRET_VALUE, value}`. */
const SECRET_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_VALUE = "1b47061264138c4ac30d75fd1eb44270";

/** Extra output state a resource type gets from its (mocked) provider, beyond its inputs. */
type StateFn = (args: pulumi.runtime.MockResourceArgs) => Record<string, any>;
const extraState: Record<string, StateFn> = {
    // As the API server stores a Secret: stringData folded into data (base64), as a secret output.
    "kubernetes:core/v1:Secret": (args) => {
        const given = args.inputs.stringData;
        if (given === undefined) return {};
        const values: Record<string, unknown> = SECRET_KEY in given ? given.value : given;
        const encoded = Object.fromEntries(Object.entries(values).map(([k, v]) => [k, Buffer.from(String(v), "utf8").toString("base64")]));
        return { data: { [SECRET_KEY]: SECRET_VALUE, value: { ...(args.inputs.data ?? {}), ...encoded } } };
    },
    "docker:index/image:Image": (args) => ({
        repoDigest: `${String(args.inputs.imageName).replace(/:[^:/]+$/, "")}@sha256:${"ab".repeat(32)}`,
    }),
};

/** Invokes the program is allowed to make; anything else fails the test. */
type CallFn = (inputs: Record<string, any>) => Record<string, any>;
const calls: Record<string, CallFn> = {};

/** Lets a spec (e.g. the cloud platforms') teach the mocks more resource state and invokes. */
export function extendMocks(more: { state?: Record<string, StateFn>; calls?: Record<string, CallFn> }): void {
    Object.assign(extraState, more.state ?? {});
    Object.assign(calls, more.calls ?? {});
}

void pulumi.runtime.setMocks(
    {
        newResource(args: pulumi.runtime.MockResourceArgs): pulumi.runtime.MockResourceResult {
            recorded.push({ type: args.type, name: args.name, inputs: args.inputs, provider: args.provider, custom: args.custom ?? true });
            const extra = extraState[args.type]?.(args) ?? {};
            return { id: `${args.name}-id`, state: { ...args.inputs, ...extra } };
        },
        call(args: pulumi.runtime.MockCallArgs): Record<string, any> {
            const fn = calls[args.token];
            if (fn === undefined) {
                throw new Error(`unmocked invoke ${args.token}: teach tooling/mocks/mocks.ts what it returns`);
            }
            return fn(args.inputs);
        },
    },
    PROJECT,
    STACK,
    false,
);

/** Resolves every Output inside a value (objects, arrays), leaving secrets' values readable. */
export async function resolve<T>(value: T): Promise<any> {
    const v: any = value;
    if (pulumi.Output.isInstance(v)) {
        return resolve(await new Promise((ok) => v.apply((x: unknown) => ok(x))));
    }
    if (Array.isArray(v)) {
        return Promise.all(v.map(resolve));
    }
    if (v !== null && typeof v === "object" && !pulumi.Resource.isInstance(v)) {
        const out: Record<string, unknown> = {};
        for (const [k, x] of Object.entries(v)) {
            out[k] = await resolve(x);
        }
        return out;
    }
    return v;
}

/** Whether an Output is marked secret. */
export async function isSecret(value: pulumi.Output<unknown>): Promise<boolean> {
    return (value as any).isSecret as Promise<boolean>;
}

export interface Evaluation {
    config: AnyTarget;
    stack: StackOutputs;
    /** The outputs with every Output resolved. */
    outputs: Record<string, any>;
    resources: Recorded[];
}

/** Runs the program for raw config (as the CLI would hand it over) and waits for every registration. */
export async function evaluate(raw: Record<string, string>, ambient: Record<string, string> = {}): Promise<Evaluation> {
    recorded = [];
    const config = parseConfig(raw, ambient);
    const stack = createSparkStack(config);
    const outputs = await resolve(stack);
    await settings.waitForRPCs();
    const resources = recorded;
    recorded = [];
    return { config, stack, outputs, resources };
}

/** Finds exactly one recorded resource of a type (and name, if given); fails otherwise. */
export function one(resources: Recorded[], type: string, name?: string): Recorded {
    const found = resources.filter((r) => r.type === type && (name === undefined || r.name === name));
    if (found.length !== 1) {
        throw new Error(
            `expected one ${type}${name ? ` named ${name}` : ""}, found ${found.length}: ${found.map((r) => r.name).join(", ")}`,
        );
    }
    return found[0];
}

/** All recorded resources of a type. */
export function all(resources: Recorded[], type: string): Recorded[] {
    return resources.filter((r) => r.type === type);
}
