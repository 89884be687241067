// The field types the config schema is made of. Values arrive as the CLI hands them over
// (strings) or, inside a `clusters` entry or an object key, as JSON values; each field takes
// both. Every message says what is allowed: the loader puts the key and the bad value before it.
import { z } from "zod";
import { MEMORY_FORMAT, parseMemoryMiB } from "../quantity";

/** Decimal text as a number; anything else, "" included, is left for the number check to refuse. */
function decimalText(v: unknown): unknown {
    return typeof v === "string" && /^\s*-?\d+(\.\d+)?\s*$/.test(v) ? Number(v) : v;
}

/** A whole number from `min` to `max`, as a number or decimal text ("" is refused, never 0). */
export function wholeNumber(min: number, max: number, allowed: string) {
    const error = { error: allowed };
    return z.preprocess(decimalText, z.number(error).int(error).min(min, error).max(max, error));
}

/** true or false, or their text. */
export function boolean() {
    return z.preprocess((v) => (v === "true" ? true : v === "false" ? false : v), z.boolean({ error: "must be true or false" }));
}

/** Text matching `pattern` (and at most `maxLength` characters). */
export function text(pattern: RegExp, allowed: string, maxLength = Number.MAX_SAFE_INTEGER) {
    const error = { error: allowed };
    return z.string(error).regex(pattern, error).max(maxLength, error);
}

/** One of `values`. */
export function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
    return z.enum(values, { error: `must be one of ${values.join(", ")}` });
}

/** A Kubernetes memory quantity Spark can size, of at least `minMiB` (`why` says why that floor). */
export function memory(minMiB: number, why: string) {
    return z
        .string({ error: `must be ${MEMORY_FORMAT}` })
        .refine((v) => parseMemoryMiB(v) !== undefined, { error: `must be ${MEMORY_FORMAT}`, abort: true })
        .refine((v) => (parseMemoryMiB(v) ?? 0) >= minMiB, { error: `must be at least ${minMiB}Mi${why}` });
}

/** Parsed JSON where the CLI hands an object or list over as text; other values as they are. */
export function jsonText(v: unknown): unknown {
    if (typeof v !== "string") {
        return v;
    }
    try {
        return JSON.parse(v) as unknown;
    } catch {
        return v;
    }
}

/** A list of strings, as JSON text (how the CLI hands over an array) or comma-separated text. */
export function stringList(allowed: string) {
    return z.preprocess(
        (v) => {
            if (typeof v !== "string") {
                return v;
            }
            const t = v.trim();
            return t === "" ? [] : t.startsWith("[") ? jsonText(t) : t.split(",");
        },
        z.array(
            z.string({ error: allowed }).transform((s) => s.trim()),
            { error: allowed },
        ),
    );
}

/** A problem the schema's own checks add, at `path` below the checked value, showing `value` instead of the input there. */
export function problem(ctx: z.RefinementCtx, path: PropertyKey[], message: string, value?: unknown): void {
    ctx.addIssue({ code: "custom", path, message, params: value === undefined ? undefined : { value } });
}
