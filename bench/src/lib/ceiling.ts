import { startBareServer } from "./bare";
import { type LoadOptions, type LoadResult, runLoad } from "./load";
import { readProcessStats } from "./processStats";

/**
 * The response headers a bare server must send to send the same bytes as the product: all of them
 * but those node:http writes itself (date, connection, keep-alive, length).
 */
function sameHeaders(headers: Headers): Record<string, string> {
  const own = new Set(["date", "connection", "keep-alive", "content-length", "transfer-encoding"]);
  return Object.fromEntries([...headers].filter(([name]) => !own.has(name)));
}

/** An answer the product gave, to be sent again by a bare server. */
export interface SampleAnswer {
  status: number;
  headers: Headers;
  body: Buffer;
}

/** Reads a product answer whole, failing loudly when it is not the success being measured. */
export async function sampleOf(response: Response, expected = 200): Promise<SampleAnswer> {
  const body = Buffer.from(await response.arrayBuffer());
  if (response.status !== expected) throw new Error(`sample answered ${response.status}: ${body.toString("utf8").slice(0, 300)}`);
  return { status: response.status, headers: response.headers, body };
}

/** Runs `measure` against a bare node:http server sending `sample`'s status, headers and bytes to every request. */
export async function onBareServer<T>(
  port: number,
  sample: SampleAnswer,
  measure: (bare: { url: string; pid: number }) => Promise<T>,
): Promise<T> {
  const bare = await startBareServer(port, sample.status, sameHeaders(sample.headers), sample.body);
  try {
    return await measure(bare);
  } finally {
    await bare.stop();
  }
}

export interface Measured extends LoadResult {
  /** CPU time the answering server spent per request over that run (user + system, from /proc). */
  cpuMicrosPerRequest: number;
}

export interface Comparison {
  product: Measured;
  bare: Measured;
}

/**
 * The product against a bare node:http server answering the same bytes, driven by the same client
 * with the same request stream (`stream()` makes a fresh one, starting at the same device, for
 * every run). The client is warmed on the bare server first, then the two alternate (bare,
 * product, bare, product) and each keeps its better run, so neither gains from running later on a
 * warmer client or a quieter machine.
 *
 * On two cores the load generator shares the machine with the server, so at tens of thousands of
 * requests a second both runs can be bound by the client rather than the server, and their
 * throughputs come out alike (either may lead by noise). What cannot be flattered is the server's
 * own CPU time per request, read from /proc for both processes over the same runs: the bare
 * server's is the floor (the ceiling of efficiency), which the product can only stay above.
 */
export async function againstBare(options: {
  productUrl: string;
  productPid: number;
  barePort: number;
  sample: SampleAnswer;
  load: Omit<LoadOptions, "url" | "next">;
  stream: () => LoadOptions["next"];
}): Promise<Comparison> {
  const run = async (url: string, pid: number, durationSeconds = options.load.durationSeconds): Promise<Measured> => {
    const before = readProcessStats(pid).cpuSeconds;
    const result = await runLoad({ ...options.load, durationSeconds, url, next: options.stream() });
    const cpuSeconds = readProcessStats(pid).cpuSeconds - before;
    return { ...result, cpuMicrosPerRequest: (cpuSeconds * 1e6) / Math.max(1, result.requests) };
  };
  const better = (a: Measured, b: Measured) => (a.requestsPerSecond >= b.requestsPerSecond ? a : b);
  return onBareServer(options.barePort, options.sample, async (bare) => {
    await run(bare.url, bare.pid, Math.min(2, options.load.durationSeconds)); // warm the client
    const bare1 = await run(bare.url, bare.pid);
    const product1 = await run(options.productUrl, options.productPid);
    const bare2 = await run(bare.url, bare.pid);
    const product2 = await run(options.productUrl, options.productPid);
    return { product: better(product1, product2), bare: better(bare1, bare2) };
  });
}
