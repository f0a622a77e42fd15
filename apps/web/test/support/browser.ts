import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { type Browser, chromium } from "playwright-core";

/**
 * Debian's Chromium, driven by playwright-core, against a built dashboard. Without either the
 * browser suites skip locally; SIGNALBEAM_REQUIRE_BROWSER=1 (CI) makes that a failure.
 */
export const webDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../dist");
export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const browserAvailable = existsSync(CHROMIUM) && existsSync(path.join(webDir, "index.html"));
if (!browserAvailable && process.env.SIGNALBEAM_REQUIRE_BROWSER === "1")
  throw new Error(`the dashboard's browser suites need ${CHROMIUM} and a built dashboard in ${webDir} (npm run build)`);
if (!browserAvailable)
  console.warn(`\n⚠ Skipping the dashboard's browser suites: they need ${CHROMIUM} and a built dashboard (npm run build)\n`);

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}
