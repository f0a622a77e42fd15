// `npm run bench` — seeds the local PostgreSQL, runs every figure (B1–B6) with its baseline in the
// same run, prints a table and writes bench/results/latest.json. `--smoke` runs everything at a
// tiny scale in seconds (CI keeps it working); `--only B1,B3` picks figures.
import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { agentPolls } from "./figures/b1Poll";
import { freshDatabase } from "./lib/database";
import { BENCH_BUNDLE_ID, seedBundle, seedDevices, seedGroup } from "./lib/seed";
import { BENCH_ADMIN_TOKEN, root, startServerProcess } from "./lib/serverProcess";
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
    // Every device gets a desired state with containers: a rollout of the whole fleet.
    const response = await fetch(`${server.url}/api/rollouts`, {
      method: "POST",
      headers: { authorization: `Bearer ${context.adminToken}`, "content-type": "application/json" },
      body: JSON.stringify({ bundleId: context.bundleId, version: "1.1.0", targetType: "group", groupIds: [groupId] }),
    });
    if (response.status !== 201) throw new Error(`rollout for B1: ${response.status} ${await response.text()}`);
    if (wanted("B1")) figures.push(...(await agentPolls(context)));
  } finally {
    await server.stop();
  }
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
const out = path.join(root, "bench/results", smoke ? "smoke.json" : "latest.json");
mkdirSync(path.dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
say(`\nwrote ${path.relative(root, out)}`);
if (figures.some((figure) => !figure.met)) process.exitCode = smoke ? 0 : 1;
