import type { AppRouter } from "@signalbeam/api";
import { createTRPCClient, httpBatchLink, type TRPCClient } from "@trpc/client";
import superjson from "superjson";

export type { AppRouter, RouterInputs, RouterOutputs } from "@signalbeam/api";
export { TRPCClientError } from "@trpc/client";

export interface SignalBeamClientOptions {
  /** The server's base URL, e.g. http://localhost:5002 (the client talks to `<url>/trpc`). */
  url: string;
  /** A credential sent as `Authorization: Bearer <token>`. */
  token?: string | undefined;
  /** For tests and unusual runtimes; defaults to the global fetch. */
  fetch?: typeof globalThis.fetch;
}

export type SignalBeamClient = TRPCClient<AppRouter>;

/** A typed tRPC client for internal tools: every procedure, its inputs and outputs, checked. */
export function createSignalBeamClient(options: SignalBeamClientOptions): SignalBeamClient {
  const base = options.url.replace(/\/+$/, "");
  return createTRPCClient<AppRouter>({
    links: [
      httpBatchLink({
        url: `${base}/trpc`,
        transformer: superjson,
        headers: () => (options.token ? { authorization: `Bearer ${options.token}` } : {}),
        ...(options.fetch ? { fetch: options.fetch } : {}),
      }),
    ],
  });
}
