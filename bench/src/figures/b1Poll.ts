import { againstBare, type Comparison, sampleOf } from "../lib/ceiling";
import { runLoad } from "../lib/load";
import { deviceId, deviceToken } from "../lib/seed";
import { startServerProcess } from "../lib/serverProcess";
import type { BenchContext, Figure } from "../types";

/**
 * B1 — agent polls: GET /devices/{id}/desired-state with each device's own token, 50 connections
 * rotating over the fleet, against a bare node:http server receiving the same requests from the
 * same client and sending the same bytes (headers included) in the same run (see againstBare).
 * Full answers rotate over every device; the server keeps its agent cache warm (the default), so
 * they come from memory. B1-cold shows what a device's first poll costs without that: a second
 * server with SIGNALBEAM_AGENT_CACHE_WARM=off, where every request reads the database (no target;
 * it shows what the warm cache buys). Not-modified answers send the ETag each device got, as
 * agents do.
 */
export async function agentPolls(context: BenchContext): Promise<Figure[]> {
  const { server, devices, seconds } = context;
  const connections = 50;
  /** Every device in turn, each with its own token: a fresh stream starting at device 1. */
  const everyDevice = () => {
    let cursor = 0;
    return () => {
      const n = (cursor++ % devices) + 1;
      return { path: `/api/devices/${deviceId(n)}/desired-state`, headers: { authorization: `Bearer ${deviceToken(n)}` } };
    };
  };

  const sample = await sampleOf(
    await fetch(`${server.url}/api/devices/${deviceId(1)}/desired-state`, {
      headers: { authorization: `Bearer ${deviceToken(1)}` },
    }),
  );
  const etag = sample.headers.get("etag");

  const full = await againstBare({
    productUrl: server.url,
    productPid: server.pid,
    barePort: context.port + 1,
    sample,
    load: { connections, durationSeconds: seconds },
    stream: everyDevice,
  });
  const fullRatio = full.product.requestsPerSecond / full.bare.requestsPerSecond;
  const figures: Figure[] = [
    cpuFigure("B1-full-cpu", "agent poll, full answer: server CPU per request", full),
    {
      id: "B1-full",
      name: "agent poll, full answer",
      value: full.product.requestsPerSecond,
      unit: "req/s",
      p99Ms: full.product.p99Ms,
      baseline: { name: "bare node:http, same requests and bytes", value: full.bare.requestsPerSecond, p99Ms: full.bare.p99Ms },
      ratio: fullRatio,
      target: "≥ 0.15 of bare, p99 ≤ 50 ms",
      met: fullRatio >= 0.15 && full.product.p99Ms <= 50,
      correct: full.product.non2xx === 0 && full.product.errors === 0,
      notes:
        `${full.product.requests} requests over ${devices} devices, ${full.product.non2xx} non-2xx; agent cache kept warm (the default); ` +
        `better of two alternating runs each, client warmed first`,
    },
  ];

  const coldServer = await startServerProcess({
    databaseUrl: context.databaseUrl,
    port: context.port + 2,
    env: { SIGNALBEAM_AGENT_CACHE_WARM: "off" },
  });
  try {
    const cold = await runLoad({ url: coldServer.url, connections, durationSeconds: seconds, next: everyDevice() });
    figures.push({
      id: "B1-cold",
      name: "agent poll, first poll, cache not warmed",
      value: cold.requestsPerSecond,
      unit: "req/s",
      p99Ms: cold.p99Ms,
      baseline: { name: "bare node:http, same requests and bytes", value: full.bare.requestsPerSecond, p99Ms: full.bare.p99Ms },
      ratio: cold.requestsPerSecond / full.bare.requestsPerSecond,
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
  const notModifiedSample = await sampleOf(
    await fetch(`${server.url}/api/devices/${deviceId(1)}/desired-state`, {
      headers: { authorization: `Bearer ${deviceToken(1)}`, "if-none-match": etags[1]! },
    }),
    304,
  );
  const notModified = () => {
    let cursor = 0;
    return () => {
      const n = (cursor++ % rotation) + 1;
      return {
        path: `/api/devices/${deviceId(n)}/desired-state`,
        headers: { authorization: `Bearer ${deviceToken(n)}`, "if-none-match": etags[n]! },
      };
    };
  };
  const same304 = await againstBare({
    productUrl: server.url,
    productPid: server.pid,
    barePort: context.port + 1,
    sample: notModifiedSample,
    load: { connections, durationSeconds: seconds },
    stream: notModified,
  });
  const { product: cached, bare: bareNotModified } = same304;
  const ratio = cached.requestsPerSecond / bareNotModified.requestsPerSecond;
  figures.push(cpuFigure("B1-304-cpu", "agent poll, not modified: server CPU per request", same304));
  figures.push({
    id: "B1-304",
    name: "agent poll, not modified (If-None-Match)",
    value: cached.requestsPerSecond,
    unit: "req/s",
    p99Ms: cached.p99Ms,
    baseline: {
      name: "bare node:http, same requests, same 304",
      value: bareNotModified.requestsPerSecond,
      p99Ms: bareNotModified.p99Ms,
    },
    ratio,
    target: "≥ 0.5 of bare",
    met: ratio >= 0.5,
    correct: (cached.statusCodes["304"] ?? 0) === cached.requests && cached.errors === 0,
    notes: `${cached.requests} requests over ${rotation} devices, ${cached.statusCodes["304"] ?? 0} answered 304; better of two alternating runs each`,
  });
  return figures;
}

/**
 * What a request costs the server itself, product against bare, from the same runs: the comparison
 * the load generator cannot flatten (see againstBare). The bare server is the floor, so the ratio
 * is at least 1 on any honest run; the run is marked wrong if it is not.
 */
function cpuFigure(id: string, name: string, comparison: Comparison): Figure {
  const { product, bare } = comparison;
  const ratio = product.cpuMicrosPerRequest / bare.cpuMicrosPerRequest;
  return {
    id,
    name,
    value: product.cpuMicrosPerRequest,
    unit: "µs CPU",
    baseline: { name: "bare node:http, same requests and bytes", value: bare.cpuMicrosPerRequest },
    ratio,
    target: "none: the cost over the floor (bare = 1)",
    met: true,
    correct: ratio >= 1,
    notes: `server process CPU (user + system) over the better run of each, divided by its requests`,
  };
}
