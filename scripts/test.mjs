// `npm test`: install what is missing, then every suite (unit and integration, on embedded PGlite
// and on the PostgreSQL server when it answers; SIGNALBEAM_REQUIRE_POSTGRES=1 makes it required).
// Ends with a plain "N passed, N failed" line for CI logs.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { ensureDependencies, root, run } from "./lib/ensure-dependencies.mjs";

process.env.TURBO_TELEMETRY_DISABLED ??= "1";
ensureDependencies();
// The dashboard's browser tests run against the built dashboard; the agent's bundle is built too.
run("npx", ["turbo", "run", "build", "--output-logs=errors-only"]);
const summaryFile = path.join(root, ".tmp", "vitest-results.json");
mkdirSync(path.dirname(summaryFile), { recursive: true });
const result = spawnSync(
  "npx",
  [
    "vitest",
    "run",
    "--config",
    "scripts/vitest.config.ts",
    "--reporter=default",
    "--reporter=json",
    `--outputFile.json=${summaryFile}`,
    ...process.argv.slice(2),
  ],
  { cwd: root, stdio: "inherit" },
);
if (existsSync(summaryFile)) {
  const summary = JSON.parse(readFileSync(summaryFile, "utf8"));
  const skipped = summary.numPendingTests + summary.numTodoTests;
  // A file that fails to load has no failed tests of its own; it still counts as a failure.
  const failed = summary.numFailedTests || (result.status === 0 ? 0 : Math.max(summary.numFailedTestSuites, 1));
  console.log(`\n${summary.numPassedTests} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
}
process.exit(result.status ?? 1);
