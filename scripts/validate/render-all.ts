// Renders, on Pulumi mocks, the Kubernetes objects of every stack file (what `npm run render --
// <stack>` writes) and of the example consumer stack into <outDir>/<name>/, and prints one line
// per directory: `<dir>\t<Kubernetes MAJOR.MINOR it targets>`, for scripts/validate/rendered.sh.
//   ts-node scripts/validate/render-all.ts <outDir> <local control plane's MAJOR.MINOR>
import * as fs from "fs";
import * as path from "path";
import { stackConfig, STACKS } from "../../tooling/mocks/program";
import { EXAMPLE_REFERENCED_STACK, writeRendered, writeRenderedExample } from "../render";

/**
 * The Kubernetes version a stack targets: the pinned control plane version on EKS and AKS; for
 * minikube and existing clusters the local control plane's (what the e2e tier runs), since
 * those stacks do not pin one.
 */
export function kubernetesVersionOf(stack: string, localVersion: string): string {
    const config = stackConfig(stack);
    switch (config["spark-on-k8s:target"]) {
        case "eks":
            return config["spark-on-k8s:eksKubernetesVersion"];
        case "aks":
            return config["spark-on-k8s:aksKubernetesVersion"];
        default:
            return localVersion;
    }
}

function main(): void {
    const [outDir, localVersion] = process.argv.slice(2);
    if (!outDir || !/^\d+\.\d+$/.test(localVersion ?? "")) {
        process.stderr.write("usage: render-all.ts <outDir> <MAJOR.MINOR>\n");
        process.exit(2);
    }
    const lines: string[] = [];
    const check = (dir: string) => {
        const files = fs.readdirSync(dir).filter((f) => f.endsWith(".yaml"));
        if (files.length === 0) {
            throw new Error(`${dir}: nothing rendered`);
        }
        return dir;
    };
    for (const stack of STACKS) {
        const dir = check(writeRendered(stack, path.join(outDir, stack)));
        lines.push(`${dir}\t${kubernetesVersionOf(stack, localVersion)}`);
    }
    const example = check(writeRenderedExample(path.join(outDir, "example-spark-job")));
    lines.push(`${example}\t${kubernetesVersionOf(EXAMPLE_REFERENCED_STACK, localVersion)}`);
    process.stdout.write(lines.join("\n") + "\n");
}

if (require.main === module) {
    main();
}
