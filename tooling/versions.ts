// The one reader of scripts/versions.env for TypeScript (bash sources it through scripts/lib.sh).
import * as fs from "fs";
import * as path from "path";

const FILE = path.join(__dirname, "..", "scripts", "versions.env");

/** Every KEY=value line of scripts/versions.env (comments and blanks ignored). */
export function pinnedVersions(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const line of fs.readFileSync(FILE, "utf8").split("\n")) {
        const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
        if (m) {
            out[m[1]] = m[2].trim();
        }
    }
    return out;
}

/** One pinned version; fails naming the key when versions.env lacks it. */
export function pinned(key: string): string {
    const value = pinnedVersions()[key];
    if (value === undefined || value === "") {
        throw new Error(`${key} missing from scripts/versions.env`);
    }
    return value;
}
