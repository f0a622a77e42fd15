// `npm run bench` — seeds the local PostgreSQL, runs every figure (B1–B10) with its baseline in the
// same run, prints a table and writes bench/results/latest.json. `--smoke` runs everything at a
// tiny scale in seconds (CI keeps it working); `--only B1,B3` picks figures.
import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { agentPolls } from "./figures/b1Poll";
import { statusReports } from "./figures/b2Reports";
import { bulkWrites } from "./figures/b3Bulk";
import { flatReads } from "./figures/b4Reads";
import { endToEnd } from "./figures/b5Fleet";
import { dashboard } from "./figures/b6Dashboard";
import { stagedRollouts } from "./figures/b7Staged";
import { waitingRollouts } from "./figures/b8Waiting";
import { integrations } from "./figures/b9Integrations";
import { replicas } from "./figures/b10Replicas";
import { loadBalancerAvailable } from "../../apps/server/test/support/loadBalancer";
import { sql } from "@signalbeam/db";
import { freshDatabase } from "./lib/database";
import { BENCH_BUNDLE_ID, seedBundle, seedDevices, seedGroup } from "./lib/seed";
import { BENCH_ADMIN_PASSWORD, BENCH_ADMIN_TOKEN, root, startServerProcess } from "./lib/serverProcess";
import { printTable } from "./lib/table";
import type { BenchContext, Figure } from "./types";

const { values } = parseArgs({
  options: {
    smoke: { type: "boolean", default: false },
    only: { type: "string" },
    port: { type: "string", default: "5080" },
  },
});
const smoke = values.smoke;
const only = values.only?.split(",").map((id) => id.trim().toUpperCase());
const wanted = (id: string) => !only || only.includes(id);
const say = (line: string) => process.stdout.write(`${line}\n`);

const devices = smoke ? 2_000 : 100_000;
const started = Date.now();
say(`signalbeam bench (${smoke ? "smoke" : "full"}): ${devices} devices, PostgreSQL`);
const database = await freshDatabase(smoke ? "signalbeam_bench_smoke" : "signalbeam_bench");
const figures: Figure[] = [];
try {
  await seedDevices(database.handle.db, 1, devices);
  await seedBundle(database.handle.db, ["1.0.0", "1.1.0", "1.2.0"]);
  const groupId = await seedGroup(database.handle.db, "Bench Fleet", 1, devices);
  // As autovacuum leaves a live database: statistics that know the fleet but not the rollout about
  // to be created. (Without them the planner guesses from table sizes, which hid a cancel whose
  // plan was quadratic in the rollout's size once statistics existed.)
  await sql`ANALYZE`.execute(database.handle.db);
  say(`seeded in ${((Date.now() - started) / 1000).toFixed(1)} s`);

  const server = await startServerProcess({ databaseUrl: database.url, port: Number(values.port) });
  const context: BenchContext = {
    smoke,
    devices,
    seconds: smoke ? 2 : 10,
    port: Number(values.port),
    database: database.handle,
    databaseUrl: database.url,
    server,
    groupId,
    adminToken: BENCH_ADMIN_TOKEN,
    bundleId: BENCH_BUNDLE_ID,
  };
  try {
    // Figures B1–B8 share this database and server; B5, B9 and B10 bring their own.
    if (["B1", "B2", "B3", "B4", "B6", "B7", "B8"].some(wanted)) figures.push(...(await sharedFigures(context)));
  } finally {
    await server.stop();
  }
  if (wanted("B5")) {
    // A fleet of its own: a fresh database holding only the bundle and the simulated agents, and a
    // fresh server process, so the memory and CPU measured are this fleet's alone.
    const fleetDatabase = await freshDatabase(smoke ? "signalbeam_bench_fleet_smoke" : "signalbeam_bench_fleet");
    try {
      await seedBundle(fleetDatabase.handle.db, ["1.0.0", "1.1.0", "1.2.0"]);
      const fresh = await startServerProcess({ databaseUrl: fleetDatabase.url, port: Number(values.port) });
      try {
        figures.push(
          ...(await endToEnd(
            { ...context, database: fleetDatabase.handle, databaseUrl: fleetDatabase.url, server: fresh },
            fresh,
          )),
        );
      } finally {
        await fresh.stop();
      }
    } finally {
      await fleetDatabase.drop();
    }
  }
  // Each of B9's two runs in a database and server of its own.
  if (wanted("B9")) figures.push(...(await integrations(context)));
  // Two replicas behind HAProxy, in a database and processes of their own.
  if (wanted("B10") && loadBalancerAvailable) figures.push(...(await replicas(context)));
  else if (wanted("B10")) say("B10 skipped: HAProxy is not installed (apt-get install haproxy)");
} finally {
  await database.drop();
}

printTable(figures, say);
const results = {
  date: new Date().toISOString(),
  mode: smoke ? "smoke" : "full",
  machine: {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model,
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
  },
  durationSeconds: Math.round((Date.now() - started) / 1000),
  figures,
};
// A partial run (--only) never overwrites the full run's results.
const file = smoke ? "smoke.json" : only ? `only-${only.join("-")}.json` : "latest.json";
const out = path.join(root, "bench/results", file);
mkdirSync(path.dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
say(`\nwrote ${path.relative(root, out)}`);
if (figures.some((figure) => !figure.met)) process.exitCode = smoke ? 0 : 1;

/** B1–B4 and B6–B8, in this order on one database and server. */
async function sharedFigures(context: BenchContext): Promise<Figure[]> {
  const figures: Figure[] = [];
  // B3 first: it leaves the whole fleet in an active rollout, which B1 polls and B2 reports to.
  const bulk = await bulkWrites(context);
  if (wanted("B3")) figures.push(...bulk.figures);
  if (wanted("B1")) figures.push(...(await agentPolls(context)));
  if (wanted("B2")) figures.push(...(await statusReports(context, bulk.activeRolloutId)));
  if (wanted("B6")) figures.push(...(await dashboard(context, bulk.activeRolloutId, BENCH_ADMIN_PASSWORD)));
  if (wanted("B4")) figures.push(...(await flatReads(context, bulk.activeRolloutId, bulk.listedRolloutId)));
  // After the reads: these supersede the fleet's active rollout.
  const rawInsertSeconds = bulk.figures.find((figure) => figure.id === "B3-group")!.baseline!.value;
  if (wanted("B7")) figures.push(...(await stagedRollouts(context, bulk.activeRolloutId, rawInsertSeconds * 1000)));
  if (wanted("B8")) figures.push(...(await waitingRollouts(context)));
  return figures;
}
