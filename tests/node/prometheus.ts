// A real Prometheus for the node tier (PROMETHEUS_VERSION, built by `scripts/tools/build.sh
// prometheus` with Kubernetes as its only service discovery), run on the host beside the nodes as
// kube-network-policies is. It is configured the way the Prometheus Operator configures a
// Prometheus that selects this stack's PodMonitors and PrometheusRules, from those objects as the
// API server stored them:
//   - each PodMonitor endpoint becomes a scrape job discovering pods through the local API server
//     (the cluster's kubeconfig), with the relabelings the operator generates (its
//     pkg/prometheus/promcfg.go: drop finished pods, keep by the selector's labels and the port's
//     name, then the namespace/container/pod/job/endpoint labels) followed by the PodMonitor's own;
//   - each PrometheusRule's groups go into one rule file.
// A PodMonitor field this translation does not know is refused rather than ignored, so the
// Prometheus never scrapes something other than what the operator would make of the same object.
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { freePorts } from "../../tooling/spark";
import { waitFor } from "../../tooling/wait";

export interface Sample {
    metric: Record<string, string>;
    value: [number, string];
}

export interface RangeSeries {
    metric: Record<string, string>;
    values: [number, string][];
}

export interface Alert {
    labels: Record<string, string>;
    annotations: Record<string, string>;
    state: "pending" | "firing";
    activeAt: string;
}

export interface Target {
    labels: Record<string, string>;
    scrapePool: string;
    scrapeUrl: string;
    health: "up" | "down" | "unknown";
    lastError: string;
}

/** What a PodMonitor endpoint may hold here: the fields components/monitoring/podMonitors.ts uses. */
const ENDPOINT_FIELDS = new Set(["port", "path", "interval", "relabelings"]);
const SPEC_FIELDS = new Set(["selector", "namespaceSelector", "podMetricsEndpoints"]);
const RELABEL_FIELDS: Record<string, string> = {
    action: "action",
    sourceLabels: "source_labels",
    targetLabel: "target_label",
    regex: "regex",
    replacement: "replacement",
    separator: "separator",
    modulus: "modulus",
};

/** Prometheus' label-name form of a Kubernetes label key (what pod discovery exposes). */
function sanitize(key: string): string {
    return key.replace(/[^a-zA-Z0-9_]/g, "_");
}

function refuseUnknown(what: string, obj: Record<string, unknown>, known: Set<string>): void {
    const unknown = Object.keys(obj).filter((k) => !known.has(k));
    if (unknown.length > 0) {
        throw new Error(`${what}: fields ${unknown.join(", ")} are not translated (known: ${[...known].join(", ")})`);
    }
}

/**
 * The scrape jobs the Prometheus Operator generates for one PodMonitor (one per endpoint),
 * discovering pods with `kubeconfig`.
 */
export function podMonitorScrapeConfigs(pm: any, kubeconfig: string): Record<string, unknown>[] {
    const name = `${pm.metadata.namespace}/${pm.metadata.name}`;
    refuseUnknown(`PodMonitor ${name} spec`, pm.spec, SPEC_FIELDS);
    const selector = pm.spec.selector ?? {};
    refuseUnknown(`PodMonitor ${name} selector`, selector, new Set(["matchLabels"]));
    const namespaces: string[] = pm.spec.namespaceSelector?.matchNames ?? [pm.metadata.namespace];
    return (pm.spec.podMetricsEndpoints as any[]).map((ep, i) => {
        refuseUnknown(`PodMonitor ${name} endpoint ${i}`, ep, ENDPOINT_FIELDS);
        const own = (ep.relabelings ?? []).map((r: Record<string, unknown>) => {
            refuseUnknown(`PodMonitor ${name} relabeling`, r, new Set(Object.keys(RELABEL_FIELDS)));
            return Object.fromEntries(Object.entries(r).map(([k, v]) => [RELABEL_FIELDS[k], k === "action" ? String(v).toLowerCase() : v]));
        });
        return {
            job_name: `podMonitor/${name}/${i}`,
            honor_labels: false,
            kubernetes_sd_configs: [{ role: "pod", kubeconfig_file: kubeconfig, namespaces: { names: namespaces } }],
            ...(ep.interval ? { scrape_interval: ep.interval } : {}),
            ...(ep.path ? { metrics_path: ep.path } : {}),
            relabel_configs: [
                { source_labels: ["job"], target_label: "__tmp_prometheus_job_name" },
                { action: "drop", source_labels: ["__meta_kubernetes_pod_phase"], regex: "(Failed|Succeeded)" },
                ...Object.entries((selector.matchLabels ?? {}) as Record<string, string>).map(([k, v]) => ({
                    action: "keep",
                    source_labels: [`__meta_kubernetes_pod_label_${sanitize(k)}`, `__meta_kubernetes_pod_labelpresent_${sanitize(k)}`],
                    regex: `(${v});true`,
                })),
                { action: "keep", source_labels: ["__meta_kubernetes_pod_container_port_name"], regex: ep.port },
                { source_labels: ["__meta_kubernetes_namespace"], target_label: "namespace" },
                { source_labels: ["__meta_kubernetes_pod_container_name"], target_label: "container" },
                { source_labels: ["__meta_kubernetes_pod_name"], target_label: "pod" },
                { target_label: "job", replacement: name },
                { target_label: "endpoint", replacement: ep.port },
                ...own,
            ],
        };
    });
}

export interface PrometheusOptions {
    /** Where its config, rules, data and log go (wiped first). */
    dir: string;
    binary: string;
    kubeconfig: string;
    /** Reads the PodMonitors and PrometheusRules to translate (kubectl get ... -o json items). */
    podMonitors: () => any[];
    prometheusRules: () => any[];
    /** Rule evaluation interval and the default scrape interval. */
    interval: string;
}

export class Prometheus {
    readonly url: string;
    /** When it started (seconds since the epoch): its data reaches back that far. */
    readonly startedAt = Math.floor(Date.now() / 1000);
    private proc?: ChildProcess;
    private readonly killOnExit = () => this.proc?.kill("SIGKILL");

    private constructor(
        private readonly opts: PrometheusOptions,
        port: number,
    ) {
        this.url = `http://127.0.0.1:${port}`;
    }

    /** Writes its config and rules from the objects the API server holds, starts it, waits until ready. */
    static async start(opts: PrometheusOptions): Promise<Prometheus> {
        fs.rmSync(opts.dir, { recursive: true, force: true });
        fs.mkdirSync(opts.dir, { recursive: true });
        const [port] = await freePorts(1);
        const p = new Prometheus(opts, port);
        p.write();
        const log = fs.openSync(p.logFile, "w");
        p.proc = spawn(
            opts.binary,
            [
                `--config.file=${p.configFile}`,
                `--storage.tsdb.path=${path.join(opts.dir, "data")}`,
                `--web.listen-address=127.0.0.1:${port}`,
                "--web.enable-lifecycle",
            ],
            { stdio: ["ignore", log, log] },
        );
        fs.closeSync(log);
        process.once("exit", p.killOnExit);
        await p.ready();
        return p;
    }

    private get configFile(): string {
        return path.join(this.opts.dir, "prometheus.json");
    }

    private get rulesFile(): string {
        return path.join(this.opts.dir, "rules.json");
    }

    get logFile(): string {
        return path.join(this.opts.dir, "prometheus.log");
    }

    /** Writes the config and rules from the objects the API server holds now (JSON is YAML). */
    private write(): void {
        const o = this.opts;
        const config = {
            global: { scrape_interval: o.interval, scrape_timeout: o.interval, evaluation_interval: o.interval },
            rule_files: [this.rulesFile],
            scrape_configs: o.podMonitors().flatMap((pm) => podMonitorScrapeConfigs(pm, o.kubeconfig)),
        };
        fs.writeFileSync(this.configFile, JSON.stringify(config, null, 2));
        fs.writeFileSync(this.rulesFile, JSON.stringify({ groups: o.prometheusRules().flatMap((r) => r.spec.groups) }, null, 2));
    }

    private async ready(): Promise<void> {
        await waitFor("Prometheus ready", 60_000, async () => {
            if (this.proc?.exitCode !== null) {
                throw new Error(`Prometheus exited ${this.proc?.exitCode}:\n${this.log().slice(-3000)}`);
            }
            try {
                return (await fetch(`${this.url}/-/ready`)).ok || undefined;
            } catch {
                return undefined;
            }
        });
    }

    /** Re-reads the PodMonitors and rules (as the operator does when they change) and reloads. */
    async sync(): Promise<void> {
        this.write();
        const r = await fetch(`${this.url}/-/reload`, { method: "POST" });
        if (!r.ok) {
            throw new Error(`Prometheus reload: HTTP ${r.status} ${await r.text()}\n${this.log().slice(-2000)}`);
        }
    }

    private async api<T>(pathAndQuery: string): Promise<T> {
        const r = await fetch(`${this.url}/api/v1/${pathAndQuery}`);
        const body = (await r.json()) as { status: string; data: T; error?: string };
        if (body.status !== "success") {
            throw new Error(`Prometheus ${pathAndQuery}: ${body.error ?? r.status}`);
        }
        return body.data;
    }

    async query(expr: string): Promise<Sample[]> {
        return (await this.api<{ result: Sample[] }>(`query?query=${encodeURIComponent(expr)}`)).result;
    }

    async queryRange(expr: string, start: number, end: number, stepSeconds: number): Promise<RangeSeries[]> {
        const q = `query=${encodeURIComponent(expr)}&start=${start}&end=${end}&step=${stepSeconds}`;
        return (await this.api<{ result: RangeSeries[] }>(`query_range?${q}`)).result;
    }

    async alerts(): Promise<Alert[]> {
        return (await this.api<{ alerts: Alert[] }>("alerts")).alerts;
    }

    async targets(): Promise<Target[]> {
        return (await this.api<{ activeTargets: Target[] }>("targets?state=active")).activeTargets;
    }

    log(): string {
        return fs.existsSync(this.logFile) ? fs.readFileSync(this.logFile, "utf8") : "";
    }

    stop(): void {
        process.removeListener("exit", this.killOnExit);
        this.proc?.kill("SIGKILL");
    }
}
