import { type Database, type Kysely, sql } from "@signalbeam/db";
import { matchesEventType } from "./eventTypePatterns";
import type { EventPayload } from "./messages";

/**
 * The delivery queue's two moves, each one short transaction, safe on any number of replicas:
 * - `fanOut` turns change-log events into deliveries, one per matching subscription, and moves the
 *   log position in the same transaction (so each event becomes each delivery exactly once, and a
 *   restart resumes where the last commit left off);
 * - `claimDue` takes due deliveries with FOR UPDATE SKIP LOCKED and leases them (their
 *   `next_attempt_at` moves past the attempt's timeout), so no two replicas send the same attempt;
 *   a sender that dies mid-attempt leaves a lease that lapses, and the delivery is sent again
 *   (at least once, with the same `webhook-id`).
 */

const CONSUMER = "deliveries";

/** Reads this many events per fan-out transaction. */
const FAN_OUT_BATCH = 1000;

export async function fanOut(db: Kysely<Database>, now: Date): Promise<{ events: number; deliveries: number }> {
  return db.transaction().execute(async (tx) => {
    // One fan-out at a time across replicas; another replica busy with it is not waited for.
    const consumer = await tx
      .selectFrom("event_consumers")
      .select("position")
      .where("name", "=", CONSUMER)
      .forUpdate()
      .skipLocked()
      .executeTakeFirst();
    if (!consumer) return { events: 0, deliveries: 0 };
    const events = await tx
      .selectFrom("change_events")
      .leftJoin("rollouts", "rollouts.id", "change_events.rollout_id")
      .leftJoin("bundles", "bundles.id", "rollouts.bundle_id")
      .select([
        "change_events.id",
        "change_events.type",
        "change_events.at",
        "change_events.rollout_id",
        "change_events.device_id",
        "change_events.actor",
        "change_events.data",
        "rollouts.bundle_id",
        "rollouts.version",
        "bundles.name as bundle_name",
      ])
      // Ids are visible in order (see CHANGE_LOG_LOCK): nothing below the position can still appear.
      .where("change_events.id", ">", consumer.position)
      .orderBy("change_events.id")
      .limit(FAN_OUT_BATCH)
      .execute();
    if (events.length === 0) return { events: 0, deliveries: 0 };
    const subscriptions = await tx
      .selectFrom("subscriptions")
      .select(["id", "event_types"])
      .where("enabled", "=", true)
      .execute();
    const rows = [];
    for (const event of events) {
      const matching = subscriptions.filter((subscription) => matchesEventType(subscription.event_types, event.type));
      if (matching.length === 0) continue;
      const payload: EventPayload = {
        type: event.type,
        timestamp: event.at.toISOString(),
        data: {
          ...event.data,
          rolloutId: event.rollout_id,
          ...(event.device_id ? { deviceId: event.device_id } : {}),
          ...(event.bundle_id ? { bundleId: event.bundle_id, bundleName: event.bundle_name, version: event.version } : {}),
          actor: event.actor,
        },
      };
      const json = JSON.stringify(payload);
      for (const subscription of matching)
        rows.push({
          subscription_id: subscription.id,
          event_id: event.id,
          event_type: event.type,
          order_key: orderKeyOf(event),
          payload: json,
          next_attempt_at: now,
          created_at: now,
        });
    }
    for (let start = 0; start < rows.length; start += 2000)
      await tx
        .insertInto("deliveries")
        .values(rows.slice(start, start + 2000))
        .onConflict((conflict) => conflict.columns(["subscription_id", "event_id"]).doNothing())
        .execute();
    await tx
      .updateTable("event_consumers")
      .set({ position: events[events.length - 1]!.id })
      .where("name", "=", CONSUMER)
      .execute();
    return { events: events.length, deliveries: rows.length };
  });
}

export interface ClaimedDelivery {
  id: string;
  subscriptionId: string;
  kind: "webhook" | "slack" | "email";
  target: string;
  secrets: string[];
  eventId: string | null;
  eventType: string;
  payload: EventPayload;
  /** This attempt's number, from 1. */
  attempt: number;
  createdAt: Date;
}

/**
 * What must arrive in order: a rollout's lifecycle (`created` before `wave_started` before
 * `completed`), and one device's events within a rollout (`retry_scheduled` before `failed`). A
 * wave's thousands of device failures are not queued behind each other — strict order across
 * them would send one at a time — so a `device.failed` may arrive after its rollout's `failed`.
 */
export function orderKeyOf(event: { type: string; rollout_id: string | null; device_id: string | null }): string | null {
  if (!event.rollout_id) return null;
  return event.type.startsWith("device.") && event.device_id ? `${event.rollout_id}/${event.device_id}` : event.rollout_id;
}

/**
 * Leases up to `limit` due deliveries of enabled subscriptions. Per subscription and order key,
 * only the oldest pending delivery is due, at the price that a failing one holds back the later
 * ones with its key until it succeeds or gives up.
 */
export async function claimDue(db: Kysely<Database>, now: Date, leaseMs: number, limit: number): Promise<ClaimedDelivery[]> {
  if (limit <= 0) return [];
  const rows = await sql<{
    id: string;
    subscription_id: string;
    kind: "webhook" | "slack" | "email";
    target: string;
    secret: string | null;
    previous_secret: string | null;
    previous_secret_expires_at: Date | null;
    event_id: string | null;
    event_type: string;
    payload: EventPayload;
    attempt: number;
    created_at: Date;
  }>`
    WITH due AS (
      SELECT d.id FROM deliveries d
      JOIN subscriptions s ON s.id = d.subscription_id AND s.enabled
      WHERE d.status = 'pending' AND d.next_attempt_at <= ${now}
        AND NOT EXISTS (
          SELECT 1 FROM deliveries earlier
          WHERE earlier.subscription_id = d.subscription_id AND earlier.order_key = d.order_key
            AND earlier.status = 'pending' AND earlier.id < d.id)
      ORDER BY d.next_attempt_at, d.id
      LIMIT ${limit}
      FOR UPDATE OF d SKIP LOCKED
    )
    UPDATE deliveries SET attempt = deliveries.attempt + 1, next_attempt_at = ${new Date(now.getTime() + leaseMs)}
    FROM due, subscriptions s
    WHERE deliveries.id = due.id AND s.id = deliveries.subscription_id
    RETURNING deliveries.id, deliveries.subscription_id, s.kind, s.target, s.secret, s.previous_secret,
      s.previous_secret_expires_at, deliveries.event_id, deliveries.event_type, deliveries.payload,
      deliveries.attempt, deliveries.created_at`.execute(db);
  return rows.rows.map((row) => ({
    id: String(row.id),
    subscriptionId: row.subscription_id,
    kind: row.kind,
    target: row.target,
    secrets: signingSecrets(row, now),
    eventId: row.event_id === null ? null : String(row.event_id),
    eventType: row.event_type,
    payload: row.payload,
    attempt: row.attempt,
    createdAt: new Date(row.created_at),
  }));
}

/** The current secret, and the previous one while its day of grace lasts. */
export function signingSecrets(
  row: { secret: string | null; previous_secret: string | null; previous_secret_expires_at: Date | null },
  now: Date,
): string[] {
  const secrets = row.secret ? [row.secret] : [];
  if (row.previous_secret && row.previous_secret_expires_at && new Date(row.previous_secret_expires_at) > now)
    secrets.push(row.previous_secret);
  return secrets;
}
