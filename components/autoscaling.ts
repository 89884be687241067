// Worker autoscaling: the specs SparkCluster creates (the settings' schema is in config/cluster.ts).
//
// CPU is a poor signal for a standalone cluster: an application waiting for cores raises no
// CPU anywhere, and idle executors hold their cores while burning none. The `keda` mode scales
// on the master's own numbers instead (its /json/ endpoint, through KEDA's metrics-api
// trigger): cores in use, plus applications waiting for cores. The `cpu`
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
 * KEDA ScaledObject spec (keda mode). Two metrics-api triggers read the master's /json/ and a
 * KEDA formula (advanced.scalingModifiers) adds them up, in workers:
 *
 *   workers = coresused / (workerCores x targetCoreUtilization%) + waiting x workersPerWaitingApp
 *
 * and the HPA KEDA makes aims for that many (average value 1 per worker). A sum, not the larger
 * of two HPA metrics: with every core busy and one application waiting, the larger would be the
 * workers already there, so a busy cluster would never grow. With nothing in use and nothing
 * waiting the formula is 0, which deactivates the ScaledObject (minReplicas 0 goes to zero).
 */
export function scaledObjectSpec(a: AutoscalingConfig, deployment: string, masterJsonUrl: string, workerCores: number) {
    const trigger = (name: string, valueLocation: string) => ({
        type: "metrics-api",
        name,
        metadata: { url: masterJsonUrl, valueLocation, format: "json" },
    });
    const coresPerWorker = (workerCores * a.targetCoreUtilization) / 100;
    return {
        scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: deployment },
        minReplicaCount: a.minReplicas,
        maxReplicaCount: a.maxReplicas,
        pollingInterval: a.pollingIntervalSeconds,
        cooldownPeriod: a.scaleDownStabilizationSeconds,
        advanced: {
            horizontalPodAutoscalerConfig: { behavior: scaleDownBehavior(a) },
            scalingModifiers: {
                formula: `coresused / ${+coresPerWorker.toFixed(2)} + waiting * ${a.workersPerWaitingApp}`,
                target: "1",
                metricType: "AverageValue",
            },
        },
        triggers: [trigger("coresused", "coresused"), trigger("waiting", 'activeapps.#(state=="WAITING")#|#')],
    };
}
