import type { AppRouter } from "@signalbeam/api";
import { createTRPCClient, httpBatchLink, httpSubscriptionLink, splitLink } from "@trpc/client";
import { createTRPCContext } from "@trpc/tanstack-react-query";
import superjson from "superjson";

/** Typed hooks over the server's router: `useTRPC().rollouts.byId.queryOptions(...)`. */
export const { TRPCProvider, useTRPC } = createTRPCContext<AppRouter>();

/** Queries and mutations in batches; subscriptions as server-sent events. */
export const createClient = () =>
  createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (operation) => operation.type === "subscription",
        true: httpSubscriptionLink({ url: "/trpc", transformer: superjson }),
        false: httpBatchLink({ url: "/trpc", transformer: superjson }),
      }),
    ],
  });
