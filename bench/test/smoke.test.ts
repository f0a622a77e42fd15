import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { loadBalancerAvailable } from "../../apps/server/test/support/loadBalancer";

/**
 * Keeps `npm run bench` working: the whole benchmark at a tiny scale (seconds), checking that every
 * figure ran and its answers were right (no errors, exact counters, every poll a 304, the rollout
 * completed). Speed is not asserted here: figures from a full run live in the README.
 */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const required = process.env.SIGNALBEAM_REQUIRE_POSTGRES === "1";
const postgres = spawnSync("pg_isready", ["-h", "127.0.0.1", "-p", "5432", "-q"]).status === 0;
if (!postgres && required) throw new Error("the benchmark smoke run needs PostgreSQL on 127.0.0.1:5432");
if (!postgres) console.warn("\n⚠ Skipping the benchmark smoke run: no PostgreSQL on 127.0.0.1:5432\n");

describe.runIf(postgres)("npm run bench -- --smoke", () => {
  it("runs every figure with right answers and writes the results file", () => {
    const run = spawnSync(process.execPath, ["--import", "tsx", "bench/src/main.ts", "--smoke", "--port", "5180"], {
      cwd: root,
      encoding: "utf8",
      timeout: 300_000,
    });
    expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(0);
    const results = JSON.parse(readFileSync(path.join(root, "bench/results/smoke.json"), "utf8")) as {
      figures: { id: string; value: number; correct: boolean }[];
      machine: { cpus: number };
    };
    const ids = results.figures.map((figure) => figure.id);
    for (const id of [
      "B1-full",
      "B1-304",
      "B2",
      "B2-fresh",
      "B3-create",
      "B3-group",
      "B3-cancel",
      "B4-rollout",
      "B4-devices",
      "B4-rollout-8c",
      "B4-devices-8c",
      "B4-list",
      "B4-rollout-listed",
      "B4-list-first-summary",
      "B5-wall",
      "B5-cpu",
      "B5-rss",
      "B6-js",
      "B6-page",
      "B9-lag",
      "B9-reports",
      ...(loadBalancerAvailable ? ["B10-polls", "B10-fleet", "B10-failover"] : []),
    ])
      expect(ids).toContain(id);
    expect(results.figures.filter((figure) => !figure.correct)).toEqual([]);
    expect(results.figures.every((figure) => figure.value > 0)).toBe(true);
    expect(run.stdout).toContain("B1-304");
  }, 360_000);
});
