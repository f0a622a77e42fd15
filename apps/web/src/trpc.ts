import type { AppRouter } from "@signalbeam/api";
import { createTRPCClient, httpBatchLink } from "@trpc/client";
import { createTRPCContext } from "@trpc/tanstack-react-query";
import superjson from "superjson";

/** Typed hooks over the server's router: `useTRPC().rollouts.byId.queryOptions(...)`. */
export const { TRPCProvider, useTRPC } = createTRPCContext<AppRouter>();

export const createClient = () =>
  createTRPCClient<AppRouter>({ links: [httpBatchLink({ url: "/trpc", transformer: superjson })] });
