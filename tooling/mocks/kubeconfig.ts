// Stand-in kubeconfigs for evaluations on mocks: the program checks that its kubeconfig names
// a usable cluster before it registers anything, and these name one it never reaches.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

/** A kubeconfig file with one context `context` (cluster and user of the same name). */
export function standInKubeconfig(context: string, file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "kc-")), "kubeconfig")): string {
    const doc = {
        apiVersion: "v1",
        kind: "Config",
        "current-context": context,
        clusters: [{ name: context, cluster: { server: "https://127.0.0.1:6443" } }],
        users: [{ name: context, user: { token: "stand-in" } }],
        contexts: [{ name: context, context: { cluster: context, user: context } }],
    };
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, JSON.stringify(doc));
    return file;
}

/** Points this process's HOME at a new folder whose ~/.kube/config has the one context `context`; KUBECONFIG unset. */
export function standInHome(context: string): void {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), "home-"));
    standInKubeconfig(context, path.join(home, ".kube", "config"));
    process.env.HOME = home;
    delete process.env.KUBECONFIG;
}
