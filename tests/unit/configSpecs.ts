// What the config specs share: the check that a config is refused, naming the key.
import * as assert from "assert";
import { ConfigError, parseConfig } from "../../components/config";

/**
 * Expects the config to refuse `raw`: a ConfigError with one problem naming the project key `key`
 * (`spark-on-k8s:<key> = ...`) and matching `allowed`, and a message saying nothing was changed.
 */
export function refuses(raw: Record<string, string>, key: string, allowed: RegExp, ambient: Record<string, string> = {}): void {
    assert.throws(
        () => parseConfig(raw, ambient),
        (err: unknown) => {
            assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
            const problem = err.problems.find((p) => p.startsWith(`spark-on-k8s:${key} = `));
            assert.ok(problem, `no problem names ${key}: ${err.problems.join(" | ")}`);
            assert.match(problem, allowed);
            assert.match(err.message, /nothing was changed/);
            return true;
        },
    );
}
