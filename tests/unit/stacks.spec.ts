// Every stack file in the repository evaluates, through the real index.ts, to a complete graph.
import * as assert from "assert";
import { ProgramRun, runStack, STACKS } from "../../tooling/mocks/program";

const CONTRACT = [
    "target",
    "namespace",
    "masterUrl",
    "masterWebUiUrl",
    "image",
    "sparkVersion",
    "workerReplicas",
    "portForwardCommand",
    "clusters",
];

describe("stack files evaluate through index.ts", function () {
    this.timeout(60000);

    it("has the dev and prod stacks", () => {
        assert.ok(STACKS.includes("dev") && STACKS.includes("prod"), STACKS.join(", "));
    });

    for (const stack of STACKS) {
        describe(`Pulumi.${stack}.yaml`, () => {
            let run: ProgramRun;
            before(() => {
                run = runStack(stack);
            });

            it("exports the output contract", () => {
                for (const key of CONTRACT) {
                    assert.notStrictEqual(run.outputs[key], undefined, key);
                }
                assert.match(run.outputs.masterUrl, /^spark:\/\/[a-z0-9-]+-master\.[a-z0-9-]+\.svc\.cluster\.local:7077$/);
                assert.ok(run.outputs.masterUrl.includes(`.${run.outputs.namespace}.svc`));
                assert.doesNotMatch(run.outputs.image, /:latest$/);
                assert.ok(Number.isInteger(run.outputs.workerReplicas));
                if (run.outputs.kubeconfig !== undefined) {
                    assert.ok(run.secrets.includes("kubeconfig"), "kubeconfig must be a secret output");
                }
            });

            it("creates every Kubernetes object with the platform's explicit provider", () => {
                const objects = run.resources.filter((r) => r.type.startsWith("kubernetes:"));
                assert.ok(objects.length >= 8, `${objects.length} objects`);
                const providers = run.resources.filter((r) => r.type === "pulumi:providers:kubernetes");
                assert.strictEqual(providers.length, 1);
                for (const r of objects) {
                    assert.match(r.provider ?? "(none)", new RegExp(`::${providers[0].name}::`), `${r.type} ${r.name}`);
                }
            });

            it("runs workers and master from one image with requests = limits", () => {
                const deployments = run.resources.filter((r) => r.type === "kubernetes:apps/v1:Deployment");
                assert.ok(deployments.length >= 2);
                for (const d of deployments) {
                    const c = d.inputs.spec.template.spec.containers[0];
                    assert.deepStrictEqual(c.resources.requests, c.resources.limits, d.name);
                    assert.ok(c.livenessProbe && c.readinessProbe, d.name);
                }
            });
        });
    }
});
