import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import type { Database, Kysely } from "@signalbeam/db";
import type { ChangeEvent } from "../shared/changeLog";

/**
 * Prometheus metrics (`signalbeam_*`), one registry per server instance (tests run several in one
 * process). Counters count what this replica saw; a scrape of every replica sums them. No device
 * ids as labels: a fleet's size must not become a metric's cardinality.
 */
export interface Metrics {
  readonly registry: Registry;
  /** After a commit: the change log's events, counted by type (controller actions among them). */
  committed(events: readonly ChangeEvent[]): void;
  /** A device's update ended (a report or a timeout), with how long it took when known. */
  deviceFinished(result: "succeeded" | "failed", seconds: number | null): void;
  /** An agent request answered: a poll (200, 304, …) or a report. */
  agentRequest(kind: "poll" | "report", status: number): void;
  /** A delivery attempt ended (webhook, Slack-compatible or email); `lagMs` from the event to a first-attempt success. */
  delivered(kind: string, ok: boolean, durationMs: number, lagMs: number | null): void;
  /** Rollouts by status, read at each scrape from the database this replica uses. */
  watchRollouts(db: Kysely<Database>): void;
  /** Whether this replica leads the policy controller, read at each scrape (exactly one replica shows 1). */
  watchLeadership(isLeader: () => boolean): void;
}

const CONTROLLER_EVENTS = new Set([
  "rollout.wave_started",
  "rollout.wave_passed",
  "rollout.paused",
  "rollout.threshold_breached",
  "device.timed_out",
  "device.retry_scheduled",
  "rollout.rolled_back",
]);

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "signalbeam_" });
  const events = new Counter({
    name: "signalbeam_events_total",
    help: "Change-log events committed by this replica, by type",
    labelNames: ["type"],
    registers: [registry],
  });
  const controllerActions = new Counter({
    name: "signalbeam_controller_actions_total",
    help: "Policy controller actions (and manager controls) by kind",
    labelNames: ["kind"],
    registers: [registry],
  });
  const deviceUpdates = new Counter({
    name: "signalbeam_device_updates_total",
    help: "Device updates that ended, by result",
    labelNames: ["result"],
    registers: [registry],
  });
  const updateDuration = new Histogram({
    name: "signalbeam_update_duration_seconds",
    help: "From a device reporting updating to its final report",
    labelNames: ["result"],
    buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600],
    registers: [registry],
  });
  const agentRequests = new Counter({
    name: "signalbeam_agent_requests_total",
    help: "Agent polls and reports answered by this replica, by HTTP status",
    labelNames: ["kind", "status"],
    registers: [registry],
  });
  const deliveries = new Counter({
    name: "signalbeam_webhook_deliveries_total",
    help: "Delivery attempts to webhooks, Slack-compatible endpoints and email, by kind and result",
    labelNames: ["kind", "result"],
    registers: [registry],
  });
  const deliveryDuration = new Histogram({
    name: "signalbeam_webhook_delivery_duration_seconds",
    help: "How long one delivery attempt took, by kind",
    labelNames: ["kind"],
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const deliveryLag = new Histogram({
    name: "signalbeam_webhook_delivery_lag_seconds",
    help: "From an event's commit to the receiver's 2xx, for deliveries that succeeded at the first attempt",
    labelNames: ["kind"],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
    registers: [registry],
  });
  const agentRequestChildren = new Map<string, ReturnType<typeof agentRequests.labels>>();
  let rolloutsDb: Kysely<Database> | undefined;
  new Gauge({
    name: "signalbeam_rollouts",
    help: "Rollouts by status",
    labelNames: ["status"],
    registers: [registry],
    async collect() {
      if (!rolloutsDb) return;
      this.reset();
      const rows = await rolloutsDb
        .selectFrom("rollouts")
        .select(["status", (eb) => eb.fn.countAll<string>().as("n")])
        .groupBy("status")
        .execute();
      for (const row of rows) this.set({ status: row.status }, Number(row.n));
    },
  });
  let leading: (() => boolean) | undefined;
  new Gauge({
    name: "signalbeam_controller_leader",
    help: "1 on the replica that leads the policy controller, 0 on standbys",
    registers: [registry],
    collect() {
      this.set(leading?.() ? 1 : 0);
    },
  });
  return {
    registry,
    committed(committed) {
      for (const event of committed) {
        events.inc({ type: event.type });
        if (event.type === "device.timed_out") deviceUpdates.inc({ result: "failed" });
        if (CONTROLLER_EVENTS.has(event.type)) controllerActions.inc({ kind: event.type.split(".")[1]! });
      }
    },
    deviceFinished(result, seconds) {
      deviceUpdates.inc({ result });
      if (seconds !== null) updateDuration.observe({ result }, seconds);
    },
    agentRequest(kind, status) {
      // The hot path (every poll): a bound child per (kind, status), not a label lookup per request.
      const key = `${kind} ${status}`;
      let child = agentRequestChildren.get(key);
      if (!child) agentRequestChildren.set(key, (child = agentRequests.labels(kind, String(status))));
      child.inc();
    },
    delivered(kind, ok, durationMs, lagMs) {
      deliveries.inc({ kind, result: ok ? "success" : "failure" });
      deliveryDuration.observe({ kind }, durationMs / 1000);
      if (lagMs !== null) deliveryLag.observe({ kind }, Math.max(0, lagMs) / 1000);
    },
    watchRollouts(db) {
      rolloutsDb = db;
    },
    watchLeadership(isLeader) {
      leading = isLeader;
    },
  };
}
