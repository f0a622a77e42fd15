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

/** Writes a finished attempt: the delivery's log line, the subscription's health, and a disable with its event. */
export async function recordOutcome(
  deps: WriteDeps,
  delivery: ClaimedDelivery,
  outcome: Outcome,
  random: number,
): Promise<Decision> {
  return writeChange(deps, async (tx, change) => {
    const now = change.now;
    const subscription = await tx
      .selectFrom("subscriptions")
      .select(["id", "kind", "target", "enabled", "failing_since"])
      .where("id", "=", delivery.subscriptionId)
      .forUpdate()
      .executeTakeFirst();
    const decision = decide(delivery.attempt, outcome, subscription?.failing_since ?? null, now, random);
    await tx
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
      await tx
        .updateTable("subscriptions")
        .set({ failing_since: null, last_success_at: now })
        .where("id", "=", subscription.id)
        .execute();
    else if (!subscription.failing_since)
      await tx.updateTable("subscriptions").set({ failing_since: now }).where("id", "=", subscription.id).execute();
    if (decision.kind === "gave_up" && decision.disable && subscription.enabled) {
      await tx
        .updateTable("subscriptions")
        .set({ enabled: false, disabled_reason: decision.disable, updated_at: now })
        .where("id", "=", subscription.id)
        .execute();
      const details = { kind: subscription.kind, target: subscription.target, reason: decision.disable };
      change.audit(SYSTEM_ACTOR, {
        action: "integration.disabled",
        target: { type: "integration", id: subscription.id },
        details,
      });
      change.event({ type: "integration.disabled", actor: SYSTEM_ACTOR, data: { integrationId: subscription.id, ...details } });
    }
    return decision;
  });
}
