// The stack's Grafana dashboard drawn from a real Prometheus, for the node tier: no Grafana can
// be installed here, so each panel of the dashboard JSON (the ConfigMap the stack made) is laid
// out on Grafana's 24-column grid, each of its queries is run as a range query against the
// Prometheus that scraped the cluster, and the series are drawn as plain SVG lines (a stat panel
// shows its last value). It shows what the dashboard's queries return, not how Grafana styles it.
import { Prometheus } from "./prometheus";

interface Panel {
    type: string;
    title: string;
    unit?: string;
    gridPos: { x: number; y: number; w: number; h: number };
    targets?: { expr: string; legendFormat?: string }[];
}

export interface DrawnPanel {
    title: string;
    /** Per query, how many series it returned over the window. */
    series: { expr: string; count: number }[];
}

const COLORS = ["#73bf69", "#f2cc0c", "#5794f2", "#ff780a", "#b877d9", "#f2495c"];
const CELL_W = 52;
const CELL_H = 34;

function escape(s: string): string {
    return s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c] as string);
}

function legend(format: string | undefined, metric: Record<string, string>): string {
    return (format ?? "").replace(/\{\{\s*(\w+)\s*\}\}/g, (_, k: string) => metric[k] ?? "") || JSON.stringify(metric);
}

/**
 * The dashboard as an HTML page, every query run over [from, to] (seconds since the epoch),
 * and what each query returned.
 */
export async function drawDashboard(
    prom: Prometheus,
    dashboard: { title: string; panels: Panel[] },
    from: number,
    to: number,
): Promise<{ html: string; panels: DrawnPanel[] }> {
    const step = Math.max(5, Math.ceil((to - from) / 240));
    const drawn: DrawnPanel[] = [];
    const boxes: string[] = [];
    for (const panel of dashboard.panels) {
        const { x, y, w, h } = panel.gridPos;
        const style = `left:${x * CELL_W}px;top:${y * CELL_H}px;width:${w * CELL_W - 8}px;height:${h * CELL_H - 8}px`;
        if (panel.type === "row") {
            boxes.push(`<div class="row" style="${style}">${escape(panel.title)}</div>`);
            continue;
        }
        const series: DrawnPanel["series"] = [];
        const lines: { name: string; points: [number, number][] }[] = [];
        for (const t of panel.targets ?? []) {
            const result = await prom.queryRange(t.expr, from, to, step);
            series.push({ expr: t.expr, count: result.length });
            for (const r of result) {
                lines.push({ name: legend(t.legendFormat, r.metric), points: r.values.map(([ts, v]) => [ts, Number(v)]) });
            }
        }
        drawn.push({ title: panel.title, series });
        const width = w * CELL_W - 8;
        const height = h * CELL_H - 8;
        let body: string;
        if (panel.type === "stat") {
            const last = lines[0]?.points.at(-1)?.[1];
            body = `<div class="stat">${last === undefined ? "No data" : String(Math.round(last * 100) / 100)}</div>`;
        } else {
            // Below the title (about 24 px) the plot, then a line of legend keys (about 36 px).
            const svgH = height - 64;
            const plotW = width - 20;
            const plotH = svgH - 40;
            const all = lines.flatMap((l) => l.points.map((p) => p[1])).filter(Number.isFinite);
            const max = Math.max(1, ...all);
            const px = (ts: number) => 10 + ((ts - from) / Math.max(1, to - from)) * plotW;
            const py = (v: number) => 30 + plotH - (v / max) * plotH;
            const paths = lines
                .map(
                    (l, i) =>
                        `<polyline fill="none" stroke="${COLORS[i % COLORS.length]}" stroke-width="1.5" points="${l.points
                            .map(([ts, v]) => `${px(ts).toFixed(1)},${py(v).toFixed(1)}`)
                            .join(" ")}"/>`,
                )
                .join("");
            const keys = lines.map((l, i) => `<span style="color:${COLORS[i % COLORS.length]}">&#9632; ${escape(l.name)}</span>`).join(" ");
            body =
                `<svg width="${width}" height="${svgH}">` +
                `<text x="10" y="22" class="axis">${escape(String(Math.round(max * 100) / 100))} ${escape(panel.unit ?? "")}</text>` +
                `<line x1="10" y1="${30 + plotH}" x2="${10 + plotW}" y2="${30 + plotH}" class="base"/>${paths}</svg>` +
                `<div class="keys">${keys || "No data"}</div>`;
        }
        boxes.push(`<div class="panel" style="${style}"><div class="title">${escape(panel.title)}</div>${body}</div>`);
    }
    const bottom = Math.max(...dashboard.panels.map((p) => (p.gridPos.y + p.gridPos.h) * CELL_H));
    const span = `${new Date(from * 1000).toISOString().slice(11, 19)} - ${new Date(to * 1000).toISOString().slice(11, 19)} UTC`;
    const html = `<!doctype html><html><head><meta charset="utf-8"><title>${escape(dashboard.title)}</title><style>
body{background:#111217;color:#ccccdc;font:12px sans-serif;margin:12px}
h1{font-size:16px;margin:0 0 10px} .grid{position:relative;height:${bottom}px}
.panel{position:absolute;background:#181b1f;border:1px solid #2a2d33;border-radius:2px;overflow:hidden}
.row{position:absolute;font-weight:bold;font-size:14px;padding-top:8px}
.title{padding:6px 8px;font-weight:bold} .stat{font-size:42px;color:#73bf69;padding:4px 12px}
.keys{padding:0 8px;font-size:11px} .axis{fill:#8e8e8e;font-size:10px} .base{stroke:#444}
</style></head><body><h1>${escape(dashboard.title)} <small>(${span}, drawn from the node tier's Prometheus)</small></h1>
<div class="grid">${boxes.join("\n")}</div></body></html>`;
    return { html, panels: drawn };
}
