import type { Database, Kysely } from "@signalbeam/db";
import { type AgentCache, createAgentCache } from "./cache/agentCache";
import { createOperatorCache, type OperatorCache } from "./cache/operatorCache";
import { createLoginLimiter, type LoginLimiter } from "./auth/loginLimiter";
import { createTargetListCache, type TargetListCache } from "./rollouts/targetLists";
import { createReportBatcher, type ReportBatcher } from "./rollouts/reportBatcher";
import { type Clock, type Logger, silentLogger, systemClock } from "./shared/logger";
import { createRolloutEvents, type RolloutEvents } from "./shared/rolloutEvents";
import { createMetrics, type Metrics } from "./metrics/metrics";
import { createSender, type Sender } from "./integrations/sender";

/**
 * Everything domain code needs besides its input, all required: a function that takes `Deps`
 * cannot be called without the caches it must keep right or the live views it must wake. The tRPC
 * context is `Deps` plus the request (principal, HTTP); jobs and the demo seed pass `Deps` alone.
 */
export interface Deps {
  db: Kysely<Database>;
  clock: Clock;
  log: Logger;
  /** Change notices for live views. */
  events: RolloutEvents;
  /** Token and desired-state answers for agent traffic; writes that change either invalidate it. */
  agentCache: AgentCache;
  /** Operators' API keys and sessions seen recently; revoking a key or logging out clears it. */
  operatorCache: OperatorCache;
  /** Group commit for agent reports (one per server). */
  reportBatcher: ReportBatcher;
  loginLimiter: LoginLimiter;
  /** Rollouts' immutable target lists, read once each. */
  targetLists: TargetListCache;
  /** Prometheus metrics of this process (GET /metrics). */
  metrics: Metrics;
  /** Sends webhooks, Slack-compatible messages and email (the integrations' one way out). */
  sender: Sender;
}

/** What a write needs to commit a change and tell everything that depends on it (see `writeChange`). */
export type WriteDeps = Pick<Deps, "db" | "clock" | "agentCache" | "operatorCache" | "events" | "targetLists" | "metrics">;

export type DepsOptions = Partial<Omit<Deps, "db">> & { db: Kysely<Database> };

/** One process's dependencies: given ones are kept, the rest are made fresh (a server makes these once). */
export function createDeps(options: DepsOptions): Deps {
  const base = {
    db: options.db,
    clock: options.clock ?? systemClock,
    log: options.log ?? silentLogger,
    events: options.events ?? createRolloutEvents(),
    agentCache: options.agentCache ?? createAgentCache(),
    operatorCache: options.operatorCache ?? createOperatorCache(),
    loginLimiter: options.loginLimiter ?? createLoginLimiter(),
    targetLists: options.targetLists ?? createTargetListCache(),
    metrics: options.metrics ?? createMetrics(),
    sender: options.sender ?? createSender(),
  };
  return { ...base, reportBatcher: options.reportBatcher ?? createReportBatcher(base) };
}
