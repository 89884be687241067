// npm run bench:e2e: seconds for the real `pulumi up` from empty, a scale edit (preview and
// up) and destroy of the local stack, each next to kubectl doing the same to the same objects
// rendered to YAML (the talk's workflow: apply, rollout status, delete), as a ratio.
// Needs the built tools (scripts/tools/build.sh). Figures, not a test.
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import { writeRendered } from "../scripts/render";
import {
    initStack,
    kubectl,
    localStackConfig,
    pulumi,
    readStackConfig,
    startEnvironment,
    stopEnvironment,
    work,
    writeStackConfig,
} from "../tests/e2e/harness";

const NS = "spark-local";

function time(fn: () => void): number {
    const start = process.hrtime.bigint();
    fn();
    return Number(process.hrtime.bigint() - start) / 1e9;
}

function rollout(): void {
    for (const d of ["spark-master", "spark-worker"]) {
        kubectl(["-n", NS, "rollout", "status", `deployment/${d}`, "--timeout=120s"]);
    }
}

function main(): void {
    startEnvironment();
    try {
        writeStackConfig("local", localStackConfig());
        initStack("local");
        const setReplicas = (n: number) => writeStackConfig("local", { ...readStackConfig("local"), "spark-on-k8s:workerReplicas": n });
        const p = {
            up: time(() => pulumi(["up", "--yes", "--skip-preview", "--stack", "local"])),
            preview: 0,
            scale: 0,
            destroy: 0,
        };
        setReplicas(3);
        p.preview = time(() => pulumi(["preview", "--stack", "local"]));
        p.scale = time(() => pulumi(["up", "--yes", "--skip-preview", "--stack", "local"]));
        p.destroy = time(() => pulumi(["destroy", "--yes", "--skip-preview", "--stack", "local"]));

        const dir = writeRendered("local", path.join(work, "rendered"));
        const workerFile = path.join(
            dir,
            fs.readdirSync(dir).find((f) => /deployment-.*-spark-worker\.yaml$/.test(f))!,
        );
        const k = {
            up: time(() => {
                kubectl(["apply", "-f", dir]);
                rollout();
            }),
            preview: 0,
            scale: 0,
            destroy: 0,
        };
        const worker = yaml.load(fs.readFileSync(workerFile, "utf8")) as { spec: { replicas: number } };
        worker.spec.replicas = 3;
        fs.writeFileSync(workerFile, yaml.dump(worker));
        // kubectl diff exits 1 when there are differences: that is its success here.
        k.preview = time(() => kubectl(["diff", "-f", dir], { allowFail: true }));
        k.scale = time(() => {
            kubectl(["apply", "-f", dir]);
            rollout();
        });
        k.destroy = time(() => kubectl(["delete", "-f", dir, "--wait=true"]));

        console.log("Local stack (existing target, KWOK-simulated nodes): real Pulumi engine vs kubectl on the same objects");
        console.log("step                      pulumi s   kubectl s   ratio");
        for (const [label, key] of [
            ["up from empty", "up"],
            ["scale edit: preview/diff", "preview"],
            ["scale edit: up/apply", "scale"],
            ["destroy/delete", "destroy"],
        ] as const) {
            console.log(
                `${label.padEnd(24)}  ${p[key].toFixed(1).padStart(8)}  ${k[key].toFixed(1).padStart(10)}  ${(p[key] / k[key]).toFixed(1).padStart(6)}`,
            );
        }
    } finally {
        stopEnvironment();
    }
}

main();
