import * as assert from "assert";
import { all, evaluate, one } from "../../tooling/mocks/mocks";
import { refuses } from "./configSpecs";

describe("worker autoscaling", () => {
    it("is off by default: no autoscaler objects, and workerReplicas wins any field conflict", async () => {
        const e = await evaluate({});
        assert.strictEqual(
            one(e.resources, "kubernetes:apps/v1:Deployment", "spark-worker").inputs.metadata.annotations["pulumi.com/patchForce"],
            "true",
        );
        assert.strictEqual(e.config.clusters[0].autoscaling, undefined);
        assert.deepStrictEqual(all(e.resources, "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"), []);
        assert.deepStrictEqual(all(e.resources, "kubernetes:keda.sh/v1alpha1:ScaledObject"), []);
    });

    it("keda mode scales workers on the master's own numbers", async () => {
        const e = await evaluate({
            workerReplicas: "2",
            workerCores: "2",
            autoscaling: JSON.stringify({ mode: "keda", minReplicas: 1, maxReplicas: 8 }),
        });
        const so = one(e.resources, "kubernetes:keda.sh/v1alpha1:ScaledObject").inputs;
        assert.strictEqual(so.apiVersion, "keda.sh/v1alpha1");
        assert.strictEqual(so.metadata.namespace, "spark");
        assert.deepStrictEqual(so.spec.scaleTargetRef, { apiVersion: "apps/v1", kind: "Deployment", name: "spark-worker" });
        assert.strictEqual(so.spec.minReplicaCount, 1);
        assert.strictEqual(so.spec.maxReplicaCount, 8);
        const url = "http://spark-master.spark.svc.cluster.local:8080/json/";
        assert.deepStrictEqual(so.spec.triggers, [
            { type: "metrics-api", name: "coresused", metadata: { url, valueLocation: "coresused", format: "json" } },
            { type: "metrics-api", name: "waiting", metadata: { url, valueLocation: 'activeapps.#(state=="WAITING")#|#', format: "json" } },
        ]);
        // Added up, in workers: 2 cores x 80% per worker, one more worker per waiting application.
        assert.deepStrictEqual(so.spec.advanced.scalingModifiers, {
            formula: "coresused / 1.6 + waiting * 1",
            target: "1",
            metricType: "AverageValue",
        });
        assert.deepStrictEqual(so.spec.advanced.horizontalPodAutoscalerConfig.behavior.scaleDown, {
            stabilizationWindowSeconds: 300,
            policies: [{ type: "Pods", value: 1, periodSeconds: 60 }],
        });
        // The initial size is still workerReplicas, and the autoscaler's count is never forced back.
        const worker = one(e.resources, "kubernetes:apps/v1:Deployment", "spark-worker").inputs;
        assert.strictEqual(worker.spec.replicas, 2);
        assert.strictEqual(worker.metadata.annotations["pulumi.com/patchForce"], undefined);
    });

    it("keda mode adds the two demands up: a busy cluster with an application waiting asks for more workers than it has", async () => {
        const so = one(
            (
                await evaluate({
                    workerCores: "1",
                    autoscaling: JSON.stringify({ minReplicas: 0, maxReplicas: 6, targetCoreUtilization: 100, workersPerWaitingApp: 2 }),
                })
            ).resources,
            "kubernetes:keda.sh/v1alpha1:ScaledObject",
        ).inputs.spec;
        const { formula, target, metricType } = so.advanced.scalingModifiers;
        assert.deepStrictEqual([formula, target, metricType], ["coresused / 1 + waiting * 2", "1", "AverageValue"]);
        // The formula uses only +, * and / on the two triggers' names, where KEDA's expression
        // language and JavaScript agree: evaluate it as KEDA would, then as the HPA would
        // (AverageValue 1: ceil(value / 1) workers; 0 deactivates the ScaledObject).
        const names = so.triggers.map((t: any) => t.name);
        const workers = (coresused: number, waiting: number) =>
            Math.ceil(new Function(...names, `return ${formula};`)(coresused, waiting) / Number(target));
        assert.strictEqual(workers(0, 0), 0, "idle");
        assert.strictEqual(workers(1, 0), 1, "one worker's core busy");
        assert.strictEqual(workers(1, 1), 3, "one core busy, one application waiting: two more");
        assert.strictEqual(workers(0, 1), 2, "from zero");
    });

    it("keda mode's polling and scale-down pace come from config (the node tier shortens them)", async () => {
        const e = await evaluate({
            workerReplicas: "1",
            autoscaling: JSON.stringify({
                maxReplicas: 2,
                pollingIntervalSeconds: 5,
                scaleDownStabilizationSeconds: 20,
                scaleDownIntervalSeconds: 15,
            }),
        });
        const so = one(e.resources, "kubernetes:keda.sh/v1alpha1:ScaledObject").inputs.spec;
        assert.strictEqual(so.pollingInterval, 5);
        assert.strictEqual(so.cooldownPeriod, 20);
        assert.deepStrictEqual(so.advanced.horizontalPodAutoscalerConfig.behavior.scaleDown, {
            stabilizationWindowSeconds: 20,
            policies: [{ type: "Pods", value: 1, periodSeconds: 15 }],
        });
        // The defaults: KEDA's own polling (15 s) and one removal a minute.
        const d = one((await evaluate({ autoscaling: '{"maxReplicas":4}' })).resources, "kubernetes:keda.sh/v1alpha1:ScaledObject").inputs
            .spec;
        assert.strictEqual(d.pollingInterval, 15);
        assert.strictEqual(d.advanced.horizontalPodAutoscalerConfig.behavior.scaleDown.policies[0].periodSeconds, 60);
    });

    it("cpu mode creates a plain HorizontalPodAutoscaler", async () => {
        const e = await evaluate({
            autoscaling: JSON.stringify({ mode: "cpu", minReplicas: 2, maxReplicas: 6, targetCpuUtilization: 60 }),
        });
        const hpa = one(e.resources, "kubernetes:autoscaling/v2:HorizontalPodAutoscaler").inputs;
        assert.strictEqual(hpa.metadata.name, "spark-worker");
        assert.deepStrictEqual(hpa.spec.scaleTargetRef, { apiVersion: "apps/v1", kind: "Deployment", name: "spark-worker" });
        assert.strictEqual(hpa.spec.minReplicas, 2);
        assert.strictEqual(hpa.spec.maxReplicas, 6);
        assert.deepStrictEqual(hpa.spec.metrics, [
            { type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 60 } } },
        ]);
        assert.deepStrictEqual(all(e.resources, "kubernetes:keda.sh/v1alpha1:ScaledObject"), []);
    });

    it("can differ per cluster", async () => {
        const e = await evaluate({
            clusters: JSON.stringify([
                { name: "etl", autoscaling: { mode: "cpu", maxReplicas: 4 } },
                { name: "adhoc", workerReplicas: 1 },
            ]),
        });
        assert.strictEqual(one(e.resources, "kubernetes:autoscaling/v2:HorizontalPodAutoscaler").inputs.metadata.namespace, "etl");
    });

    describe("refuses bad settings", () => {
        const cases: [string, Record<string, string>, string, RegExp][] = [
            ["not JSON", { autoscaling: "on" }, "autoscaling", /must be an object/],
            ["unknown mode", { autoscaling: '{"mode":"memory","maxReplicas":4}' }, "autoscaling.mode", /must be one of keda, cpu/],
            ["missing maxReplicas", { autoscaling: '{"mode":"keda"}' }, "autoscaling.maxReplicas", /required/],
            [
                "max below min",
                { autoscaling: '{"minReplicas":3,"maxReplicas":2}' },
                "autoscaling.maxReplicas",
                /at least minReplicas \(3\)/,
            ],
            [
                "max above the quota",
                { autoscaling: '{"maxReplicas":50}' },
                "autoscaling.maxReplicas",
                /must not exceed maxWorkerReplicas \(10\)/,
            ],
            [
                "cpu mode to zero",
                { workerReplicas: "1", autoscaling: '{"mode":"cpu","minReplicas":0,"maxReplicas":3}' },
                "autoscaling.minReplicas",
                /an HPA cannot scale to zero/,
            ],
            [
                "initial size outside the bounds",
                { workerReplicas: "9", autoscaling: '{"minReplicas":1,"maxReplicas":4}' },
                "autoscaling",
                /within \[minReplicas, maxReplicas\] = \[1, 4\]/,
            ],
            [
                "utilization above 100",
                { autoscaling: '{"maxReplicas":4,"targetCoreUtilization":150}' },
                "autoscaling.targetCoreUtilization",
                /from 1 to 100/,
            ],
            [
                "polling below a second",
                { autoscaling: '{"maxReplicas":4,"pollingIntervalSeconds":0}' },
                "autoscaling.pollingIntervalSeconds",
                /from 1 to 3600/,
            ],
            [
                "a removal interval of 0",
                { autoscaling: '{"maxReplicas":4,"scaleDownIntervalSeconds":0}' },
                "autoscaling.scaleDownIntervalSeconds",
                /from 1 to 1800/,
            ],
            ["an unknown key", { autoscaling: '{"maxReplicas":4,"max":5}' }, "autoscaling.max", /unknown key/],
        ];
        for (const [title, raw, key, allowed] of cases) {
            it(title, () => refuses(raw, key, allowed));
        }
    });
});
