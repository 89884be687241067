// Worker autoscaling: the specs SparkCluster creates (the settings' schema is in config/cluster.ts).
//
// CPU is a poor signal for a standalone cluster: an application waiting for cores raises no
// CPU anywhere, and idle executors hold their cores while burning none. The `keda` mode scales
// on the master's own numbers instead (its /json/ endpoint, through KEDA's metrics-api
// trigger): cores in use against cores offered, and applications waiting for cores. The `cpu`
// mode is a plain HorizontalPodAutoscaler for clusters without KEDA.
import { AutoscalingConfig } from "./config";

/**
 * Scale-down behaviour shared by both modes: one worker every scaleDownIntervalSeconds (a minute
 * by default) after the stabilization window, so each removed worker has time to decommission and
 * hand its blocks to the others.
 */
function scaleDownBehavior(a: AutoscalingConfig) {
    return {
        scaleDown: {
            stabilizationWindowSeconds: a.scaleDownStabilizationSeconds,
            policies: [{ type: "Pods", value: 1, periodSeconds: a.scaleDownIntervalSeconds }],
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
        pollingInterval: a.pollingIntervalSeconds,
        cooldownPeriod: a.scaleDownStabilizationSeconds,
        advanced: { horizontalPodAutoscalerConfig: { behavior: scaleDownBehavior(a) } },
        triggers: [
            trigger("coresused", ((workerCores * a.targetCoreUtilization) / 100).toFixed(2)),
            trigger('activeapps.#(state=="WAITING")#|#', (1 / a.workersPerWaitingApp).toFixed(3)),
        ],
    };
}
