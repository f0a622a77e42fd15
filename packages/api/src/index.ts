import type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";
import { type AppRouter, appRouter } from "./root";
import { createCallerFactory } from "./trpc";

export { appRouter, type AppRouter };
export { buildOpenApiDocument, successStatusByPath } from "./openapi";
export { type Context, createContextFactory } from "./trpc";
export { createDeps, type Deps, type DepsOptions, type WriteDeps } from "./deps";
export type { Access, Principal, UserPrincipal, DevicePrincipal } from "./auth/principal";
export type { Role } from "./auth/roles";
export { bootstrapAdmin, type BootstrapResult, BOOTSTRAP_USERNAME } from "./auth/bootstrap";
export {
  createLoginLimiter,
  defaultLoginLimits,
  type LimiterStore,
  type LoginLimiter,
  type LoginLimits,
  postgresLimiterStore,
} from "./auth/loginLimiter";
export { parseApiKey } from "./auth/secrets";
export { SESSION_COOKIE } from "./auth/sessionCookie";
export { accessByPath, openApiPathOf } from "./openapi";
export { type AgentCache, createAgentCache, desiredStateEntry, etagOf } from "./cache/agentCache";
export { createOperatorCache, type OperatorCache } from "./cache/operatorCache";
export { type CacheWarmer, createCacheWarmer } from "./cache/cacheWarmer";
export { apply as applyCacheChange, decodeChange as decodeCacheChange, INVALIDATION_CHANNEL } from "./cache/invalidation";
export { type Clock, type Logger, silentLogger, systemClock } from "./shared/logger";
export { createRolloutEvents, type RolloutEvents } from "./shared/rolloutEvents";
export {
  decodeRolloutNotice,
  encodeRolloutNotices,
  ROLLOUT_NOTICE_CHANNEL,
  type RolloutNotice,
  type SharedRolloutEvents,
  shareRolloutEvents,
} from "./shared/sharedRolloutEvents";
export { toTRPCError } from "./shared/errors";
export { deriveRolloutStatus } from "./rollouts/rolloutStatus";
export { type ReportBatcher } from "./rollouts/reportBatcher";
export { authorizeAgent } from "./auth/principal";
export { seedDemoFleet } from "./demo/demoFleet";
export { ALWAYS_LEADER, type Leadership, type PolicyController, startPolicyController } from "./rollouts/policy/controller";
export { CHANGE_LOG_LOCK, changeEventTypes, type ChangeEventType } from "./shared/changeLog";
export { createMetrics, type Metrics } from "./metrics/metrics";
export { createSender, type Sender, type SenderOptions } from "./integrations/sender";
export { type IntegrationWorker, startIntegrationWorker } from "./integrations/integrationWorker";
export { assertAccess } from "./auth/principal";
export { ONLINE_WINDOW_MS } from "./devices/deviceRepository";

/** Calls procedures in-process with a given context (tests, scripts, the server's own jobs). */
export const createCaller = createCallerFactory(appRouter);

export type RouterInputs = inferRouterInputs<AppRouter>;
export type RouterOutputs = inferRouterOutputs<AppRouter>;
