import { sql } from "@signalbeam/db";
import type { WriteDeps } from "../deps";
import { SYSTEM_ACTOR } from "../audit/auditLog";
import { writeChange } from "../shared/writeChange";
import type { ClaimedDelivery } from "./deliveryQueue";
import { nextRetryDelayMs } from "./retrySchedule";
import type { Outcome } from "./sender";

/** A subscription that has not had one success for this long, and just gave up a delivery, is turned off. */
export const DISABLE_AFTER_FAILING_MS = 2 * 24 * 60 * 60 * 1000;

export type Decision = { kind: "succeeded" } | { kind: "retry"; at: Date } | { kind: "gave_up"; disable: string | null };

/**
 * What a finished attempt means (pure): success; another attempt later (the schedule, or the
 * receiver's Retry-After); or the end of this delivery — and of the subscription, after a 410 Gone
 * or when it gives up a delivery after days without a single success.
 */
export function decide(
  attempt: number,
  outcome: Pick<Outcome, "ok" | "gone" | "retryAfterMs">,
  failingSince: Date | null,
  now: Date,
  random: number,
): Decision {
  if (outcome.ok) return { kind: "succeeded" };
  if (outcome.gone) return { kind: "gave_up", disable: "the receiver answered 410 Gone" };
  const delay = nextRetryDelayMs(attempt, random, outcome.retryAfterMs);
  if (delay !== null) return { kind: "retry", at: new Date(now.getTime() + delay) };
  const failingFor = now.getTime() - (failingSince ?? now).getTime();
  return {
    kind: "gave_up",
    disable:
      failingFor >= DISABLE_AFTER_FAILING_MS
        ? `no delivery succeeded since ${(failingSince ?? now).toISOString()}, and one failed ${attempt} times`
        : null,
  };
}

/** A success refreshes `last_success_at` at most this often: thousands of deliveries a second must not queue on one row. */
const SUCCESS_STAMP_MS = 1000;

/**
 * Writes a finished attempt (the worker sends successes through `recordSuccesses` in batches): the delivery's log line, the subscription's health, and — rarely — a
 * disable with its audit entry and event. The common case is two short statements, and a
 * subscription's row is written only when its health changes (or its last success is a second
 * old), so concurrent deliveries to one receiver do not queue on it.
 */
export async function recordOutcome(
  deps: WriteDeps,
  delivery: ClaimedDelivery,
  outcome: Outcome,
  random: number,
): Promise<Decision> {
  const now = deps.clock();
  const subscription = await deps.db
    .selectFrom("subscriptions")
    .select(["failing_since"])
    .where("id", "=", delivery.subscriptionId)
    .executeTakeFirst();
  const decision = decide(delivery.attempt, outcome, subscription?.failing_since ?? null, now, random);
  await deps.db
    .updateTable("deliveries")
    .set({
      status: decision.kind === "succeeded" ? "succeeded" : decision.kind === "retry" ? "pending" : "failed",
      next_attempt_at: decision.kind === "retry" ? decision.at : null,
      status_code: outcome.statusCode,
      error: outcome.error,
      duration_ms: outcome.durationMs,
      attempted_at: now,
    })
    .where("id", "=", delivery.id)
    .execute();
  if (!subscription) return decision; // deleted meanwhile: its deliveries went with it
  if (decision.kind === "succeeded")
    await deps.db
      .updateTable("subscriptions")
      .set({ failing_since: null, last_success_at: now })
      .where("id", "=", delivery.subscriptionId)
      .where((eb) =>
        eb.or([
          eb("failing_since", "is not", null),
          eb("last_success_at", "is", null),
          eb("last_success_at", "<", new Date(now.getTime() - SUCCESS_STAMP_MS)),
        ]),
      )
      .execute();
  else
    await deps.db
      .updateTable("subscriptions")
      .set({ failing_since: now })
      .where("id", "=", delivery.subscriptionId)
      .where("failing_since", "is", null)
      .execute();
  if (decision.kind === "gave_up" && decision.disable) await disable(deps, delivery.subscriptionId, decision.disable);
  return decision;
}

/**
 * Successful attempts, many at once: one UPDATE for their log lines and one for their
 * subscriptions' health (only rows whose health changes or whose last success is a second old).
 * A receiver taking thousands of deliveries a minute costs two statements per batch, not per delivery.
 */
export async function recordSuccesses(
  deps: WriteDeps,
  done: readonly { delivery: ClaimedDelivery; outcome: Outcome }[],
): Promise<void> {
  if (done.length === 0) return;
  const now = deps.clock();
  const ids = done.map(({ delivery }) => delivery.id);
  const codes = done.map(({ outcome }) => outcome.statusCode);
  const durations = done.map(({ outcome }) => outcome.durationMs);
  await sql`
    UPDATE deliveries SET status = 'succeeded', next_attempt_at = NULL, status_code = done.code,
      error = NULL, duration_ms = done.duration, attempted_at = ${now}
    FROM (SELECT unnest(${ids}::bigint[]) AS id, unnest(${codes}::integer[]) AS code,
                 unnest(${durations}::integer[]) AS duration) AS done
    WHERE deliveries.id = done.id`.execute(deps.db);
  const subscriptions = [...new Set(done.map(({ delivery }) => delivery.subscriptionId))];
  await deps.db
    .updateTable("subscriptions")
    .set({ failing_since: null, last_success_at: now })
    .where("id", "in", subscriptions)
    .where((eb) =>
      eb.or([
        eb("failing_since", "is not", null),
        eb("last_success_at", "is", null),
        eb("last_success_at", "<", new Date(now.getTime() - SUCCESS_STAMP_MS)),
      ]),
    )
    .execute();
}

/** Turns a subscription off with a reason a person can read, audited, and tells the change log (once). */
async function disable(deps: WriteDeps, subscriptionId: string, reason: string): Promise<void> {
  await writeChange(deps, async (tx, change) => {
    const turnedOff = await tx
      .updateTable("subscriptions")
      .set({ enabled: false, disabled_reason: reason, updated_at: change.now })
      .where("id", "=", subscriptionId)
      .where("enabled", "=", true)
      .returning(["id", "kind", "target"])
      .executeTakeFirst();
    if (!turnedOff) return; // already off, or deleted
    const details = { kind: turnedOff.kind, target: turnedOff.target, reason };
    change.audit(SYSTEM_ACTOR, { action: "integration.disabled", target: { type: "integration", id: turnedOff.id }, details });
    change.event({ type: "integration.disabled", actor: SYSTEM_ACTOR, data: { integrationId: turnedOff.id, ...details } });
  });
}
