// Worker autoscaling: its config (parsed for config.ts) and the specs SparkCluster creates.
//
// CPU is a poor signal for a standalone cluster: an application waiting for cores raises no
// CPU anywhere, and idle executors hold their cores while burning none. The `keda` mode scales
// on the master's own numbers instead (its /json/ endpoint, through KEDA's metrics-api
// trigger): cores in use against cores offered, and applications waiting for cores. The `cpu`
// mode is a plain HorizontalPodAutoscaler for clusters without KEDA.

export const AUTOSCALING_MODES = ["keda", "cpu"] as const;
export type AutoscalingMode = (typeof AUTOSCALING_MODES)[number];

export interface AutoscalingConfig {
    readonly mode: AutoscalingMode;
    readonly minReplicas: number;
    readonly maxReplicas: number;
    /** keda: keep this percentage of the workers' cores in use (more in use: scale out). */
    readonly targetCoreUtilization: number;
    /** keda: workers each application waiting for cores asks for. */
    readonly workersPerWaitingApp: number;
    /** cpu: the HPA's average CPU utilization target, percent of the request. */
    readonly targetCpuUtilization: number;
    /** Seconds the autoscaler waits before removing workers (each removal decommissions one). */
    readonly scaleDownStabilizationSeconds: number;
}

export const AUTOSCALING_DEFAULTS = {
    mode: "keda",
    minReplicas: 1,
    targetCoreUtilization: 80,
    workersPerWaitingApp: 1,
    targetCpuUtilization: 70,
    scaleDownStabilizationSeconds: 300,
} as const;

const KEYS = ["mode", "minReplicas", "maxReplicas", ...Object.keys(AUTOSCALING_DEFAULTS)];

type Fail = (key: string, value: unknown, allowed: string) => void;

function whole(value: unknown, min: number, max: number): number | undefined {
    const n = typeof value === "number" ? value : typeof value === "string" && /^\d+$/.test(value.trim()) ? Number(value) : NaN;
    return Number.isInteger(n) && n >= min && n <= max ? n : undefined;
}

/**
 * Parses `autoscaling` (a JSON string from stack config, or an object from a `clusters` entry).
 * Undefined or empty = off. `limits.maxWorkerReplicas` bounds maxReplicas (the namespace quota).
 */
export function parseAutoscaling(
    value: unknown,
    key: string,
    limits: { maxWorkerReplicas?: number; workerReplicas?: number },
    fail: Fail,
): AutoscalingConfig | undefined {
    if (value === undefined || value === "" || value === null) {
        return undefined;
    }
    let raw: unknown = value;
    if (typeof value === "string") {
        try {
            raw = JSON.parse(value);
        } catch {
            raw = undefined;
        }
    }
    if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
        fail(key, value, "must be an object such as {mode: keda, minReplicas: 1, maxReplicas: 8}");
        return undefined;
    }
    const o = raw as Record<string, unknown>;
    let ok = true;
    const bad: Fail = (k, v, a) => {
        ok = false;
        fail(k, v, a);
    };
    for (const k of Object.keys(o)) {
        if (!KEYS.includes(k)) {
            bad(`${key}.${k}`, o[k], `unknown key; allowed: ${[...new Set(KEYS)].join(", ")}`);
        }
    }
    const mode = o.mode ?? AUTOSCALING_DEFAULTS.mode;
    if (!(AUTOSCALING_MODES as readonly unknown[]).includes(mode)) {
        bad(`${key}.mode`, mode, `must be one of ${AUTOSCALING_MODES.join(", ")}`);
    }
    // A HorizontalPodAutoscaler cannot scale to zero (without an alpha feature gate); KEDA can.
    const floor = mode === "cpu" ? 1 : 0;
    const minReplicas = whole(o.minReplicas ?? AUTOSCALING_DEFAULTS.minReplicas, floor, 10_000);
    if (minReplicas === undefined) {
        bad(
            `${key}.minReplicas`,
            o.minReplicas,
            `must be a whole number >= ${floor}${floor === 1 ? " in cpu mode (an HPA cannot scale to zero)" : ""}`,
        );
    }
    const maxReplicas = whole(o.maxReplicas, 1, 10_000);
    if (maxReplicas === undefined) {
        bad(`${key}.maxReplicas`, o.maxReplicas, "must be a whole number >= 1 (required)");
    } else if (minReplicas !== undefined && maxReplicas < minReplicas) {
        bad(`${key}.maxReplicas`, maxReplicas, `must be at least minReplicas (${minReplicas})`);
    } else if (limits.maxWorkerReplicas !== undefined && maxReplicas > limits.maxWorkerReplicas) {
        bad(
            `${key}.maxReplicas`,
            maxReplicas,
            `must not exceed maxWorkerReplicas (${limits.maxWorkerReplicas}): the namespace quota admits no more workers`,
        );
    }
    const w = limits.workerReplicas;
    if (w !== undefined && minReplicas !== undefined && maxReplicas !== undefined && (w < minReplicas || w > maxReplicas)) {
        bad(
            `${key}`,
            `workerReplicas ${w}`,
            `workerReplicas is the initial size and must lie within [minReplicas, maxReplicas] = [${minReplicas}, ${maxReplicas}]`,
        );
    }
    const pct = (k: "targetCoreUtilization" | "targetCpuUtilization") => {
        const n = whole(o[k] ?? AUTOSCALING_DEFAULTS[k], 1, 100);
        if (n === undefined) {
            bad(`${key}.${k}`, o[k], "must be a whole percentage from 1 to 100");
        }
        return n;
    };
    const targetCoreUtilization = pct("targetCoreUtilization");
    const targetCpuUtilization = pct("targetCpuUtilization");
    const workersPerWaitingApp = whole(o.workersPerWaitingApp ?? AUTOSCALING_DEFAULTS.workersPerWaitingApp, 1, 1000);
    if (workersPerWaitingApp === undefined) {
        bad(`${key}.workersPerWaitingApp`, o.workersPerWaitingApp, "must be a whole number from 1 to 1000");
    }
    const scaleDownStabilizationSeconds = whole(
        o.scaleDownStabilizationSeconds ?? AUTOSCALING_DEFAULTS.scaleDownStabilizationSeconds,
        0,
        3600,
    );
    if (scaleDownStabilizationSeconds === undefined) {
        bad(`${key}.scaleDownStabilizationSeconds`, o.scaleDownStabilizationSeconds, "must be a whole number of seconds from 0 to 3600");
    }
    if (!ok) {
        return undefined;
    }
    return {
        mode: mode as AutoscalingMode,
        minReplicas: minReplicas!,
        maxReplicas: maxReplicas!,
        targetCoreUtilization: targetCoreUtilization!,
        workersPerWaitingApp: workersPerWaitingApp!,
        targetCpuUtilization: targetCpuUtilization!,
        scaleDownStabilizationSeconds: scaleDownStabilizationSeconds!,
    };
}

/**
 * Scale-down behaviour shared by both modes: one worker a minute after the stabilization window,
 * so each removed worker has time to decommission and hand its blocks to the others.
 */
function scaleDownBehavior(a: AutoscalingConfig) {
    return {
        scaleDown: {
            stabilizationWindowSeconds: a.scaleDownStabilizationSeconds,
            policies: [{ type: "Pods", value: 1, periodSeconds: 60 }],
        },
    };
}

/** autoscaling/v2 HorizontalPodAutoscaler spec (cpu mode). */
export function hpaSpec(a: AutoscalingConfig, deployment: string) {
    return {
        scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: deployment },
        minReplicas: a.minReplicas,
        maxReplicas: a.maxReplicas,
        metrics: [
            { type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: a.targetCpuUtilization } } },
        ],
        behavior: scaleDownBehavior(a),
    };
}

/**
 * KEDA ScaledObject spec (keda mode): two metrics-api triggers on the master's /json/, the larger
 * wins. `coresused` as an average per worker against workerCores x utilization grows the cluster
 * while it is busy and shrinks it when idle; each application WAITING for cores asks for
 * `workersPerWaitingApp` workers (average value 1/n per worker).
 */
export function scaledObjectSpec(a: AutoscalingConfig, deployment: string, masterJsonUrl: string, workerCores: number) {
    const trigger = (valueLocation: string, targetValue: string) => ({
        type: "metrics-api",
        metricType: "AverageValue",
        metadata: { url: masterJsonUrl, valueLocation, targetValue, format: "json" },
    });
    return {
        scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: deployment },
        minReplicaCount: a.minReplicas,
        maxReplicaCount: a.maxReplicas,
        pollingInterval: 15,
        cooldownPeriod: a.scaleDownStabilizationSeconds,
        advanced: { horizontalPodAutoscalerConfig: { behavior: scaleDownBehavior(a) } },
        triggers: [
            trigger("coresused", ((workerCores * a.targetCoreUtilization) / 100).toFixed(2)),
            trigger('activeapps.#(state=="WAITING")#|#', (1 / a.workersPerWaitingApp).toFixed(3)),
        ],
    };
}
