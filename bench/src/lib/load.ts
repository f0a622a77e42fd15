import autocannon from "autocannon";

export interface LoadResult {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  non2xx: number;
  errors: number;
  statusCodes: Record<string, number>;
}

export interface LoadOptions {
  url: string;
  connections: number;
  durationSeconds: number;
  /** Stop after this many requests instead (autocannon's `amount`; the duration no longer applies). */
  amount?: number;
  /**
   * Offer this many requests per second across all connections (autocannon's `overallRate`)
   * instead of sending the next request as soon as an answer arrives: latency at a stated load,
   * not at saturation.
   */
  ratePerSecond?: number;
  method?: "GET" | "PUT" | "POST";
  /** Called for every request: rotate paths, headers and bodies across many devices. */
  next?: () => { path: string; headers?: Record<string, string>; body?: string };
  headers?: Record<string, string>;
}

/** An autocannon run; figures are whole-run averages (req/s) and latency percentiles. */
export function runLoad(options: LoadOptions): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: options.url,
        connections: options.connections,
        duration: options.durationSeconds,
        ...(options.amount !== undefined ? { amount: options.amount } : {}),
        ...(options.ratePerSecond !== undefined ? { overallRate: options.ratePerSecond } : {}),
        method: options.method ?? "GET",
        headers: options.headers,
        ...(options.next
          ? {
              requests: [
                {
                  setupRequest: (request: autocannon.Request) => {
                    const next = options.next!();
                    return {
                      ...request,
                      path: next.path,
                      headers: { ...(request.headers as object), ...next.headers },
                      ...(next.body !== undefined ? { body: next.body } : {}),
                    };
                  },
                },
              ],
            }
          : {}),
      } as autocannon.Options,
      (error, result) => {
        if (error) return reject(error);
        const statusCodes: Record<string, number> = {};
        for (const [code, count] of Object.entries(result.statusCodeStats ?? {})) statusCodes[code] = count.count ?? 0;
        resolve({
          // Completed requests over the run's own duration: autocannon's per-second average would
          // count a run cut short by `amount` (or its last partial second) as a full second.
          requestsPerSecond: result.duration > 0 ? result.requests.total / result.duration : result.requests.average,
          p50Ms: result.latency.p50,
          p99Ms: result.latency.p99,
          requests: result.requests.total,
          non2xx: result.non2xx,
          errors: result.errors,
          statusCodes,
        });
      },
    );
    autocannon.track(instance, { renderProgressBar: false, renderResultsTable: false, renderLatencyTable: false });
  });
}
