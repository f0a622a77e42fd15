import { startBareServer } from "../lib/bare";
import { runLoad } from "../lib/load";
import { deviceId, deviceToken } from "../lib/seed";
import { startServerProcess } from "../lib/serverProcess";
import type { BenchContext, Figure } from "../types";

/**
 * B1 — agent polls: GET /devices/{id}/desired-state with each device's own token, 50 connections
 * rotating over the fleet, against a bare node:http server sending the same bytes in the same run.
 * Full answers rotate over every device; the server keeps its agent cache warm (the default), so
 * they come from memory. B1-cold shows what a device's first poll costs without that: a second
 * server with SIGNALBEAM_AGENT_CACHE_WARM=off, where every request reads the database (no target;
 * it shows what the warm cache buys). Not-modified answers send the ETag each device got, as
 * agents do.
 */
export async function agentPolls(context: BenchContext): Promise<Figure[]> {
  const { server, devices, seconds } = context;
  const connections = 50;
  let cursor = 0;
  const everyDevice = () => {
    const n = (cursor++ % devices) + 1;
    return { path: `/api/devices/${deviceId(n)}/desired-state`, headers: { authorization: `Bearer ${deviceToken(n)}` } };
  };

  const sample = await fetch(`${server.url}/api/devices/${deviceId(1)}/desired-state`, {
    headers: { authorization: `Bearer ${deviceToken(1)}` },
  });
  const sampleBody = Buffer.from(await sample.arrayBuffer());
  if (sample.status !== 200) throw new Error(`desired-state sample answered ${sample.status}: ${sampleBody}`);
  const etag = sample.headers.get("etag");
  const sameHeaders = { "content-type": sample.headers.get("content-type") ?? "application/json", ...(etag ? { etag } : {}) };

  const bare = await startBareServer(context.port + 1, 200, sameHeaders, sampleBody);
  cursor = 0;
  const bareFull = await runLoad({ url: bare.url, connections, durationSeconds: seconds, next: everyDevice });
  await bare.stop();
  cursor = 0;
  const full = await runLoad({ url: server.url, connections, durationSeconds: seconds, next: everyDevice });

  const figures: Figure[] = [
    {
      id: "B1-full",
      name: "agent poll, full answer",
      value: full.requestsPerSecond,
      unit: "req/s",
      p99Ms: full.p99Ms,
      baseline: { name: "bare node:http, same bytes", value: bareFull.requestsPerSecond, p99Ms: bareFull.p99Ms },
      ratio: full.requestsPerSecond / bareFull.requestsPerSecond,
      target: "≥ 0.15 of bare, p99 ≤ 50 ms",
      met: full.requestsPerSecond / bareFull.requestsPerSecond >= 0.15 && full.p99Ms <= 50,
      correct: full.non2xx === 0 && full.errors === 0,
      notes: `${full.requests} requests over ${devices} devices, ${full.non2xx} non-2xx; agent cache kept warm (the default)`,
    },
  ];

  const coldServer = await startServerProcess({
    databaseUrl: context.databaseUrl,
    port: context.port + 2,
    env: { SIGNALBEAM_AGENT_CACHE_WARM: "off" },
  });
  try {
    cursor = 0;
    const cold = await runLoad({ url: coldServer.url, connections, durationSeconds: seconds, next: everyDevice });
    figures.push({
      id: "B1-cold",
      name: "agent poll, first poll, cache not warmed",
      value: cold.requestsPerSecond,
      unit: "req/s",
      p99Ms: cold.p99Ms,
      baseline: { name: "bare node:http, same bytes", value: bareFull.requestsPerSecond, p99Ms: bareFull.p99Ms },
      ratio: cold.requestsPerSecond / bareFull.requestsPerSecond,
      target: "none: shows what warming buys",
      met: true,
      correct: cold.non2xx === 0 && cold.errors === 0,
      notes:
        `${cold.requests} requests on a server started with SIGNALBEAM_AGENT_CACHE_WARM=off; ` +
        `${Math.min(cold.requests, devices)} were a device's first poll (two queries each)`,
    });
  } finally {
    await coldServer.stop();
  }

  if (!etag) {
    figures.push({
      id: "B1-304",
      name: "agent poll, not modified",
      value: 0,
      unit: "req/s",
      target: "≥ 0.5 of bare",
      met: false,
      correct: false,
      notes: "no ETag sent",
    });
    return figures;
  }
  // Learn each device's ETag the way its agent would: from its last full answer.
  const rotation = Math.min(devices, context.smoke ? 1_000 : 20_000);
  const etags: string[] = new Array(rotation + 1);
  for (let start = 1; start <= rotation; start += 200) {
    await Promise.all(
      Array.from({ length: Math.min(200, rotation - start + 1) }, async (_, index) => {
        const n = start + index;
        const response = await fetch(`${server.url}/api/devices/${deviceId(n)}/desired-state`, {
          headers: { authorization: `Bearer ${deviceToken(n)}` },
        });
        await response.arrayBuffer();
        etags[n] = response.headers.get("etag")!;
      }),
    );
  }
  const notModified = () => {
    const n = (cursor++ % rotation) + 1;
    return {
      path: `/api/devices/${deviceId(n)}/desired-state`,
      headers: { authorization: `Bearer ${deviceToken(n)}`, "if-none-match": etags[n]! },
    };
  };
  const bare304 = await startBareServer(context.port + 1, 304, { etag }, Buffer.alloc(0));
  cursor = 0;
  const bareNotModified = await runLoad({ url: bare304.url, connections, durationSeconds: seconds, next: notModified });
  await bare304.stop();
  cursor = 0;
  const cached = await runLoad({ url: server.url, connections, durationSeconds: seconds, next: notModified });
  const ratio = cached.requestsPerSecond / bareNotModified.requestsPerSecond;
  figures.push({
    id: "B1-304",
    name: "agent poll, not modified (If-None-Match)",
    value: cached.requestsPerSecond,
    unit: "req/s",
    p99Ms: cached.p99Ms,
    baseline: { name: "bare node:http, same 304", value: bareNotModified.requestsPerSecond, p99Ms: bareNotModified.p99Ms },
    ratio,
    target: "≥ 0.5 of bare",
    met: ratio >= 0.5,
    correct: (cached.statusCodes["304"] ?? 0) === cached.requests && cached.errors === 0,
    notes: `${cached.requests} requests over ${rotation} devices, ${cached.statusCodes["304"] ?? 0} answered 304`,
  });
  return figures;
}
