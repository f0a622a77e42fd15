import type { Database, Kysely } from "@signalbeam/db";
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
] as const;

export type ChangeEventType = (typeof changeEventTypes)[number];

/** Who made a change: a manager (as audited), an agent's report, or the controller. */
export type EventActor = AuditActor | { type: "agent"; id: string | null; name: string };

export const CONTROLLER_ACTOR: AuditActor = { type: "system", id: null, name: "controller" };

export interface ChangeEvent {
  type: ChangeEventType;
  rolloutId?: string;
  deviceId?: string;
  actor: EventActor;
  data?: Record<string, unknown>;
}

/** Writes events in one statement per 5,000 (a 100,000-device failure wave stays a few statements). */
export async function recordEvents(db: Kysely<Database>, events: readonly ChangeEvent[], at: Date): Promise<void> {
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
