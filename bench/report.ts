// What the Spark benchmarks share to print their figures: medians and a Markdown table.

/** The median of `xs` (the mean of the middle two for an even count); NaN when empty. */
export function median(xs: number[]): number {
    const s = [...xs].sort((a, b) => a - b);
    return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** `median (min-max)` of seconds, one decimal each. */
export function spread(xs: number[]): string {
    const f = (x: number) => x.toFixed(1);
    return `${f(median(xs))} (${f(Math.min(...xs))}-${f(Math.max(...xs))})`;
}

/** Prints `rows` (the first one the header) as a Markdown table with padded columns. */
export function printTable(rows: string[][]): void {
    const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
    const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i])).join(" | ")} |`;
    console.log(line(rows[0]));
    console.log(`|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`);
    for (const r of rows.slice(1)) console.log(line(r));
}
