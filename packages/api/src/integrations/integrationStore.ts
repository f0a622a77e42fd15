import type { Database, Kysely, SubscriptionKind } from "@signalbeam/db";
import type { AuditActor } from "../audit/auditLog";
import type { Deps } from "../deps";
import { DomainError, InputValidationError, notFound } from "../shared/errors";
import { pageOffset, type PageRequest, toPage } from "../shared/pagination";
import { iso, isoOrNull } from "../shared/schemas";
import { writeChange } from "../shared/writeChange";
import { signingSecrets } from "./deliveryQueue";
import type { EventPayload } from "./messages";
import { targetProblems } from "./integrationSchemas";
import { generateWebhookSecret } from "./signing";

/**
 * Webhooks and notification channels are one thing underneath — a subscription to change-log
 * events with somewhere to send them — so they share this store, the delivery queue and its log.
 * `kinds` keeps each API to its own: a channel's id on a webhook path is a 404.
 */
export type Kinds = readonly SubscriptionKind[];
export const WEBHOOK: Kinds = ["webhook"];
export const CHANNELS: Kinds = ["slack", "email"];

/** A rotated-out secret keeps signing beside the new one this long, so receivers can switch over. */
export const SECRET_GRACE_MS = 24 * 60 * 60 * 1000;

const what = (kinds: Kinds) => (kinds === WEBHOOK ? "Webhook" : "Notification channel");

type Row = Awaited<ReturnType<typeof selectIntegrations>>[number];

function selectIntegrations(db: Kysely<Database>, kinds: Kinds) {
  return db
    .selectFrom("subscriptions")
    .select((eb) => [
      "id",
      "kind",
      "target",
      "event_types",
      "description",
      "enabled",
      "disabled_reason",
      "failing_since",
      "last_success_at",
      "previous_secret_expires_at",
      "created_at",
      "updated_at",
      "created_by",
      eb
        .selectFrom("deliveries")
        .select((inner) => inner.fn.countAll<string>().as("n"))
        .whereRef("deliveries.subscription_id", "=", "subscriptions.id")
        .where("deliveries.status", "=", "pending")
        .as("pending"),
    ])
    .where("kind", "in", [...kinds])
    .execute();
}

export function toIntegration(row: Row, now: Date) {
  const common = {
    id: row.id,
    eventTypes: row.event_types,
    description: row.description,
    enabled: row.enabled,
    disabledReason: row.disabled_reason,
    failingSince: isoOrNull(row.failing_since),
    lastSuccessAt: isoOrNull(row.last_success_at),
    pendingDeliveries: Number(row.pending ?? 0),
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
    createdBy: row.created_by,
  };
  const rotating = row.previous_secret_expires_at && row.previous_secret_expires_at > now ? row.previous_secret_expires_at : null;
  return { ...common, kind: row.kind, target: row.target, url: row.target, secretRotatingUntil: isoOrNull(rotating) };
}

export const webhookOf = ({ kind: _kind, target: _target, ...rest }: ReturnType<typeof toIntegration>) => rest;
export const channelOf = ({ url: _url, secretRotatingUntil: _rotating, ...rest }: ReturnType<typeof toIntegration>) => ({
  ...rest,
  kind: rest.kind as "slack" | "email",
});

export async function getIntegration(db: Kysely<Database>, kinds: Kinds, id: string, now: Date) {
  const rows = await selectIntegrations(db, kinds);
  const row = rows.find((candidate) => candidate.id === id);
  if (!row) throw notFound(what(kinds), id);
  return toIntegration(row, now);
}

export async function listIntegrations(db: Kysely<Database>, kinds: Kinds, page: PageRequest, now: Date) {
  const rows = (await selectIntegrations(db, kinds)).sort(
    (a, b) => b.created_at.getTime() - a.created_at.getTime() || a.id.localeCompare(b.id),
  );
  const start = pageOffset(page);
  return toPage(
    rows.slice(start, start + page.pageSize).map((row) => toIntegration(row, now)),
    page,
    rows.length,
  );
}

export interface NewIntegration {
  kind: SubscriptionKind;
  target: string;
  eventTypes: string[];
  description: string;
  enabled: boolean;
}

export async function createIntegration(deps: Deps, actor: AuditActor, input: NewIntegration) {
  if (input.kind === "email" && !deps.sender.emailConfigured)
    throw new DomainError("UNPROCESSABLE", "email channels need an SMTP server: set SIGNALBEAM_SMTP_URL on the server");
  const secret = input.kind === "webhook" ? generateWebhookSecret() : null;
  const id = await writeChange(deps, async (tx, change) => {
    const row = await tx
      .insertInto("subscriptions")
      .values({
        kind: input.kind,
        target: input.target,
        event_types: JSON.stringify(input.eventTypes),
        description: input.description,
        enabled: input.enabled,
        secret,
        created_at: change.now,
        updated_at: change.now,
        created_by: actor.name,
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    change.audit(actor, {
      action: "integration.created",
      target: { type: "integration", id: row.id },
      details: { kind: input.kind, target: input.target, eventTypes: input.eventTypes },
    });
    return row.id;
  });
  const created = await getIntegration(deps.db, [input.kind], id, deps.clock());
  return { ...created, secret };
}

export interface IntegrationPatch {
  target?: string | undefined;
  eventTypes?: string[] | undefined;
  description?: string | undefined;
  enabled?: boolean | undefined;
}

export async function updateIntegration(deps: Deps, actor: AuditActor, kinds: Kinds, id: string, patch: IntegrationPatch) {
  await writeChange(deps, async (tx, change) => {
    const row = await lockIntegration(tx, kinds, id);
    if (patch.target !== undefined && row.kind !== "webhook") checkChannelTarget(row.kind, patch.target);
    await tx
      .updateTable("subscriptions")
      .set({
        ...(patch.target !== undefined ? { target: patch.target } : {}),
        ...(patch.eventTypes !== undefined ? { event_types: JSON.stringify(patch.eventTypes) } : {}),
        ...(patch.description !== undefined ? { description: patch.description } : {}),
        ...(patch.enabled !== undefined ? { enabled: patch.enabled } : {}),
        // Turned back on by a person: what SignalBeam turned it off for is history now.
        ...(patch.enabled ? { disabled_reason: null, failing_since: null } : {}),
        updated_at: change.now,
      })
      .where("id", "=", id)
      .execute();
    change.audit(actor, { action: "integration.updated", target: { type: "integration", id }, details: { ...patch } });
  });
  return getIntegration(deps.db, kinds, id, deps.clock());
}

/** PATCH cannot use the create schema's per-kind check (the kind is stored): the same check, here. */
function checkChannelTarget(kind: "slack" | "email", target: string): void {
  const [message] = targetProblems(kind, target);
  if (message) throw new InputValidationError(`target: ${message}`, [{ path: "target", message }]);
}

export async function deleteIntegration(deps: Deps, actor: AuditActor, kinds: Kinds, id: string): Promise<void> {
  await writeChange(deps, async (tx, change) => {
    const row = await lockIntegration(tx, kinds, id);
    await tx.deleteFrom("subscriptions").where("id", "=", id).execute();
    change.audit(actor, {
      action: "integration.deleted",
      target: { type: "integration", id },
      details: { kind: row.kind, target: row.target },
    });
  });
}

export async function rotateSecret(deps: Deps, actor: AuditActor, id: string) {
  const secret = generateWebhookSecret();
  return writeChange(deps, async (tx, change) => {
    const row = await lockIntegration(tx, WEBHOOK, id);
    const expires = new Date(change.now.getTime() + SECRET_GRACE_MS);
    await tx
      .updateTable("subscriptions")
      .set({ secret, previous_secret: row.secret, previous_secret_expires_at: expires, updated_at: change.now })
      .where("id", "=", id)
      .execute();
    change.audit(actor, {
      action: "integration.secret_rotated",
      target: { type: "integration", id },
      details: { previousValidUntil: iso(expires) },
    });
    return { secret, previousSecretExpiresAt: iso(expires) };
  });
}

async function lockIntegration(tx: Kysely<Database>, kinds: Kinds, id: string) {
  const row = await tx
    .selectFrom("subscriptions")
    .select(["id", "kind", "target", "secret", "enabled"])
    .where("id", "=", id)
    .where("kind", "in", [...kinds])
    .forUpdate()
    .executeTakeFirst();
  if (!row) throw notFound(what(kinds), id);
  return row;
}

// --- Deliveries -----------------------------------------------------------------------------

type DeliveryRow = {
  id: string;
  event_id: string | null;
  event_type: string;
  status: "pending" | "succeeded" | "failed";
  attempt: number;
  status_code: number | null;
  error: string | null;
  duration_ms: number | null;
  attempted_at: Date | null;
  next_attempt_at: Date | null;
  created_at: Date;
};

const deliveryColumns = [
  "id",
  "event_id",
  "event_type",
  "status",
  "attempt",
  "status_code",
  "error",
  "duration_ms",
  "attempted_at",
  "next_attempt_at",
  "created_at",
] as const;

export function toDelivery(row: DeliveryRow) {
  return {
    id: Number(row.id),
    eventId: row.event_id === null ? null : Number(row.event_id),
    eventType: row.event_type,
    status: row.status,
    attempt: row.attempt,
    statusCode: row.status_code,
    error: row.error,
    durationMs: row.duration_ms,
    at: isoOrNull(row.attempted_at),
    nextAttemptAt: row.status === "pending" ? isoOrNull(row.next_attempt_at) : null,
    createdAt: iso(row.created_at),
  };
}

export async function listDeliveries(
  db: Kysely<Database>,
  kinds: Kinds,
  id: string,
  filter: PageRequest & { status?: "pending" | "succeeded" | "failed" | undefined },
) {
  await existing(db, kinds, id);
  let query = db.selectFrom("deliveries").where("subscription_id", "=", id);
  if (filter.status) query = query.where("status", "=", filter.status);
  const [rows, count] = await Promise.all([
    query.select(deliveryColumns).orderBy("id", "desc").limit(filter.pageSize).offset(pageOffset(filter)).execute(),
    query.select((eb) => eb.fn.countAll<string>().as("n")).executeTakeFirstOrThrow(),
  ]);
  return toPage(rows.map(toDelivery), filter, Number(count.n));
}

async function existing(db: Kysely<Database>, kinds: Kinds, id: string) {
  const row = await db
    .selectFrom("subscriptions")
    .select(["id", "kind", "target", "enabled", "secret", "previous_secret", "previous_secret_expires_at"])
    .where("id", "=", id)
    .where("kind", "in", [...kinds])
    .executeTakeFirst();
  if (!row) throw notFound(what(kinds), id);
  return row;
}

/** Sends the delivery again with its original `webhook-id` (receivers deduplicate by it), as soon as the queue gets to it. */
export async function redeliver(deps: Deps, kinds: Kinds, id: string, deliveryId: number) {
  const subscription = await existing(deps.db, kinds, id);
  if (!subscription.enabled)
    throw new DomainError("CONFLICT", `${what(kinds)} ${id} is disabled: enable it first (PATCH enabled: true)`);
  const row = await deps.db
    .updateTable("deliveries")
    .set({ status: "pending", next_attempt_at: deps.clock() })
    .where("id", "=", String(deliveryId))
    .where("subscription_id", "=", id)
    .where("event_id", "is not", null)
    // One in flight is left alone: its lease decides.
    .where((eb) => eb.or([eb("status", "!=", "pending"), eb("next_attempt_at", "<=", deps.clock())]))
    .returning(deliveryColumns)
    .executeTakeFirst();
  if (!row) {
    const found = await deps.db
      .selectFrom("deliveries")
      .select(["event_id"])
      .where("id", "=", String(deliveryId))
      .where("subscription_id", "=", id)
      .executeTakeFirst();
    if (!found) throw notFound("Delivery", String(deliveryId));
    if (found.event_id === null) throw new DomainError("CONFLICT", "a test ping is not redelivered: send a new one");
    throw new DomainError("CONFLICT", `delivery ${deliveryId} is being sent right now`);
  }
  deps.events.eventsCommitted();
  return toDelivery(row);
}

/**
 * Sends a test message now and answers with the result; logged among the deliveries, never
 * retried, and it does not count towards the integration's health.
 */
export async function sendTest(deps: Deps, kinds: Kinds, id: string) {
  const subscription = await existing(deps.db, kinds, id);
  const now = deps.clock();
  const payload: EventPayload = {
    type: "integration.test",
    timestamp: iso(now),
    data: { integrationId: id, message: "A test message from SignalBeam Edge" },
  };
  const inserted = await deps.db
    .insertInto("deliveries")
    .values({
      subscription_id: id,
      event_type: payload.type,
      payload: JSON.stringify(payload),
      attempt: 1,
      next_attempt_at: null,
      created_at: now,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  const outcome = await deps.sender.send(
    { kind: subscription.kind, target: subscription.target, secrets: signingSecrets(subscription, now) },
    { messageId: `test_${inserted.id}`, payload },
  );
  deps.metrics.delivered(subscription.kind, outcome.ok, outcome.durationMs, null);
  const row = await deps.db
    .updateTable("deliveries")
    .set({
      status: outcome.ok ? "succeeded" : "failed",
      status_code: outcome.statusCode,
      error: outcome.error,
      duration_ms: outcome.durationMs,
      attempted_at: deps.clock(),
    })
    .where("id", "=", inserted.id)
    .returning(deliveryColumns)
    .executeTakeFirstOrThrow();
  return toDelivery(row);
}
