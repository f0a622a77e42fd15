import type { AppRouter } from "@signalbeam/api";
import { createTRPCClient, httpBatchLink, httpSubscriptionLink, splitLink, type TRPCClient } from "@trpc/client";
import { EventSource } from "eventsource";
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

/**
 * A typed tRPC client for internal tools: every procedure, its inputs and outputs, checked.
 * Subscriptions (a rollout's live changes) arrive as server-sent events, read with the
 * `eventsource` package (Node 20 has no EventSource of its own), whose fetch sends the credential.
 */
export function createSignalBeamClient(options: SignalBeamClientOptions): SignalBeamClient {
  const base = options.url.replace(/\/+$/, "");
  const authorization = (): Record<string, string> => (options.token ? { authorization: `Bearer ${options.token}` } : {});
  const fetchImpl = options.fetch ?? globalThis.fetch;
  return createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (operation) => operation.type === "subscription",
        true: httpSubscriptionLink({
          url: `${base}/trpc`,
          transformer: superjson,
          EventSource,
          eventSourceOptions: () => ({
            fetch: (input, init) => fetchImpl(input, { ...init, headers: { ...init?.headers, ...authorization() } }),
          }),
        }),
        false: httpBatchLink({
          url: `${base}/trpc`,
          transformer: superjson,
          headers: authorization,
          ...(options.fetch ? { fetch: options.fetch } : {}),
        }),
      }),
    ],
  });
}
