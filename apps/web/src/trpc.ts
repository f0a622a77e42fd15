import type { AppRouter } from "@signalbeam/api";
import { createTRPCClient, httpBatchLink, httpSubscriptionLink, splitLink } from "@trpc/client";
import { createTRPCContext } from "@trpc/tanstack-react-query";
import superjson from "superjson";

/** Typed hooks over the server's router: `useTRPC().rollouts.byId.queryOptions(...)`. */
export const { TRPCProvider, useTRPC } = createTRPCContext<AppRouter>();

/**
 * The session's CSRF token, learned from login or `auth.me`: every request carries it so that
 * cookie-authenticated writes are accepted. A page on another site can neither read nor send it.
 */
let csrfToken: string | null = null;
export const setCsrfToken = (token: string | null) => {
  csrfToken = token;
};
const csrfHeaders = () => (csrfToken ? { "x-csrf-token": csrfToken } : {});

/** Queries and mutations in batches; subscriptions as server-sent events. */
export const createClient = () =>
  createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (operation) => operation.type === "subscription",
        true: httpSubscriptionLink({ url: "/trpc", transformer: superjson }),
        false: httpBatchLink({ url: "/trpc", transformer: superjson, headers: csrfHeaders }),
      }),
    ],
  });
