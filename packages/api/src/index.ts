import type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";
import { type AppRouter, appRouter } from "./root";
import { createCallerFactory } from "./trpc";

export { appRouter, type AppRouter };
export { buildOpenApiDocument, successStatusByPath } from "./openapi";
export { type Context, type ContextDependencies, createContextFactory } from "./trpc";
export type { Principal } from "./shared/principal";
export { type Clock, type Logger, silentLogger, systemClock } from "./shared/logger";
export { createRolloutEvents, type RolloutEvents } from "./shared/rolloutEvents";
export { deriveRolloutStatus } from "./rollouts/rolloutStatus";
export { ONLINE_WINDOW_MS } from "./devices/deviceRepository";

/** Calls procedures in-process with a given context (tests, scripts, the server's own jobs). */
export const createCaller = createCallerFactory(appRouter);

export type RouterInputs = inferRouterInputs<AppRouter>;
export type RouterOutputs = inferRouterOutputs<AppRouter>;
