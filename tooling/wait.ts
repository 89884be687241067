// The one wait helper of the TypeScript tests and benchmarks.

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Polls `probe` every `intervalMs` until it returns a value (anything but undefined, null or
 * false), and returns that value. A probe that throws is tried again; past `timeoutMs` the wait
 * fails, naming `what` and the probe's last error.
 */
export async function waitFor<T>(
    what: string,
    timeoutMs: number,
    probe: () => Promise<T | undefined | null | false> | T | undefined | null | false,
    intervalMs = 250,
): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let lastError: unknown;
    for (;;) {
        try {
            const value = await probe();
            if (value !== undefined && value !== null && value !== false) {
                return value;
            }
        } catch (err) {
            lastError = err;
        }
        if (Date.now() >= deadline) {
            const detail = lastError instanceof Error ? ` (last error: ${lastError.message})` : "";
            throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${detail}`);
        }
        await sleep(intervalMs);
    }
}
