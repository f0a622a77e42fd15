import { startBareServer } from "./bare";
import { type LoadOptions, type LoadResult, runLoad } from "./load";

/**
 * The response headers a bare server must send to send the same bytes as the product: all of them
 * but those node:http writes itself (date, connection, keep-alive, length).
 */
export function sameHeaders(headers: Headers): Record<string, string> {
  const own = new Set(["date", "connection", "keep-alive", "content-length", "transfer-encoding"]);
  return Object.fromEntries([...headers].filter(([name]) => !own.has(name)));
}

export interface Comparison {
  product: LoadResult;
  bare: LoadResult;
}

/**
 * The product against a bare node:http server answering the same bytes, driven by the same client
 * with the same request stream (`stream()` makes a fresh one, starting at the same device, for
 * every run). The client is warmed on the bare server first, then the two alternate (bare,
 * product, bare, product) and each keeps its better run, so neither gains from running later on a
 * warmer client or a quieter machine. The bare server is then a ceiling: a product ratio above ~1
 * would mean the two were not measuring the same thing.
 */
export async function againstBare(options: {
  productUrl: string;
  barePort: number;
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  load: Omit<LoadOptions, "url" | "next">;
  stream: () => LoadOptions["next"];
}): Promise<Comparison> {
  const bare = await startBareServer(options.barePort, options.status, options.headers, options.body);
  const run = (url: string, durationSeconds = options.load.durationSeconds) =>
    runLoad({ ...options.load, durationSeconds, url, next: options.stream() });
  const better = (a: LoadResult, b: LoadResult) => (a.requestsPerSecond >= b.requestsPerSecond ? a : b);
  try {
    await run(bare.url, Math.min(2, options.load.durationSeconds)); // warm the client
    const bare1 = await run(bare.url);
    const product1 = await run(options.productUrl);
    const bare2 = await run(bare.url);
    const product2 = await run(options.productUrl);
    return { product: better(product1, product2), bare: better(bare1, bare2) };
  } finally {
    await bare.stop();
  }
}
