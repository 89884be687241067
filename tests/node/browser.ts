// A real browser for the node tier: Debian's chromium (scripts/node/install.sh), headless,
// driven by playwright-core over the DevTools protocol. Pages are read as a person reads
// them: links clicked, not fetched; every response the page asks for is recorded, so a
// stylesheet or script that fails to load through a proxy shows up as a failure.
import * as fs from "fs";
import * as path from "path";
import { Browser, chromium, Page } from "playwright-core";
import { ROOT } from "../e2e/harness";

export const CHROMIUM = process.env.SPARK_CHROMIUM ?? "/usr/bin/chromium";
/** Where the test run keeps its screenshots (git-ignored, kept after the run). */
export const SCREENSHOT_DIR = path.join(ROOT, ".local", "screenshots");

/** Headless chromium that makes no connection of its own: this machine's network is closed
 *  and a browser phoning home fails many times over (or waits). */
export async function launchBrowser(): Promise<Browser> {
    if (!fs.existsSync(CHROMIUM)) {
        throw new Error(`no browser at ${CHROMIUM} (SPARK_CHROMIUM); scripts/node/install.sh installs Debian's chromium`);
    }
    return chromium.launch({
        executablePath: CHROMIUM,
        headless: true,
        args: [
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    });
}

export interface ReadPage {
    page: Page;
    /** Every response of the page's origin with a status of 400 or more, as "status url". */
    failed: string[];
}

/** A new tab that records the failed responses of `origin`. */
export async function openTab(browser: Browser, origin: string): Promise<ReadPage> {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const failed: string[] = [];
    page.on("response", (r) => {
        if (r.url().startsWith(origin) && r.status() >= 400) {
            failed.push(`${r.status()} ${r.url()}`);
        }
    });
    page.on("requestfailed", (r) => {
        if (r.url().startsWith(origin)) {
            failed.push(`${r.failure()?.errorText ?? "failed"} ${r.url()}`);
        }
    });
    return { page, failed };
}

/** Saves a full-page screenshot as SCREENSHOT_DIR/<name>.png and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
    fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
    const file = path.join(SCREENSHOT_DIR, `${name}.png`);
    await page.screenshot({ path: file, fullPage: true });
    return file;
}
