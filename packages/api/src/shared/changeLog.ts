import { type Database, type Kysely, sql } from "@signalbeam/db";
import type { AuditActor } from "../audit/auditLog";

/**
 * The change log (docs/DESIGN.md, "One change log"): an event row for every meaningful change,
 * written in the transaction that makes the change (a transactional outbox), so consumers —
 * webhooks, notifications, metrics, live views — never see a change that rolled back and never
 * miss one that committed. Per-device `updating`/`succeeded` reports move counters, not events.
 */
export const changeEventTypes = [
  "rollout.created",
  "rollout.scheduled",
  "rollout.wave_started",
  "rollout.wave_passed",
  "rollout.paused",
  "rollout.resumed",
  "rollout.threshold_breached",
  "rollout.cancelled",
  "rollout.completed",
  "rollout.failed",
  "rollout.rolled_back",
  "device.failed",
  "device.timed_out",
  "device.retry_scheduled",
  // SignalBeam turned a webhook or notification channel off (410 Gone, or days of failures).
  "integration.disabled",
] as const;

export type ChangeEventType = (typeof changeEventTypes)[number];

/** Who made a change: a manager (as audited), an agent's report, or the controller. */
export type EventActor = AuditActor | { type: "agent"; id: string | null; name: string };

export const CONTROLLER_ACTOR: AuditActor = { type: "system", id: null, name: "controller" };

export interface ChangeEvent {
  type: ChangeEventType;
  rolloutId?: string | undefined;
  deviceId?: string;
  actor: EventActor;
  data?: Record<string, unknown>;
}

/**
 * Held from a transaction's first event insert to its commit: event ids are handed out in commit
 * order. Without it a transaction could take id 100, another take 101 and commit first, and a
 * reader paging by id would pass 100 before it became visible (ordering by the writer's
 * transaction id does not help: a transaction may get its xid long before it inserts its event).
 * It is taken last, after every row lock of the change, so it cannot be part of a deadlock, and is
 * held only for the inserts and the commit.
 */
export const CHANGE_LOG_LOCK = 0x5167_6e02; // any constant of our own (the startup lock is …01)

/** Writes events in one statement per 5,000 (a 100,000-device failure wave stays a few statements). */
export async function recordEvents(db: Kysely<Database>, events: readonly ChangeEvent[], at: Date): Promise<void> {
  if (events.length === 0) return;
  await sql`SELECT pg_advisory_xact_lock(${CHANGE_LOG_LOCK})`.execute(db);
  for (let start = 0; start < events.length; start += 5_000)
    await db
      .insertInto("change_events")
      .values(
        events.slice(start, start + 5_000).map((event) => ({
          type: event.type,
          at,
          rollout_id: event.rolloutId ?? null,
          device_id: event.deviceId ?? null,
          actor: JSON.stringify(event.actor),
          data: JSON.stringify(event.data ?? {}),
        })),
      )
      .execute();
}
