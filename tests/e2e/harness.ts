// Shared harness of the e2e tier (mocha root hooks): the local control plane
// (tooling/controlPlane.ts) is started once before the specs and stopped at the end, also when a
// spec fails. Specs use the helpers re-exported here, never their own copies.
import { startEnvironment, stopEnvironment } from "../../tooling/controlPlane";

export * from "../../tooling/controlPlane";
export { waitFor } from "../../tooling/wait";

/**
 * A root afterEach hook: prints a failed spec's error at once, not only in mocha's summary at
 * the end, so a run stopped later (a CI time limit) still shows why each spec failed.
 */
export function reportFailureNow(this: Mocha.Context): void {
    const t = this.currentTest;
    if (t?.state === "failed") {
        const err = (t as unknown as { err?: Error }).err;
        process.stderr.write(`\n      FAILED: ${t.fullTitle()}\n${String(err?.stack ?? err).replace(/^/gm, "        ")}\n\n`);
    }
}

export const mochaHooks = {
    beforeAll(this: Mocha.Context): void {
        this.timeout(180_000);
        startEnvironment();
    },
    afterEach: reportFailureNow,
    afterAll(this: Mocha.Context): void {
        this.timeout(120_000);
        stopEnvironment();
    },
};
