import { type Kysely, sql } from "kysely";

// Frozen in time: this migration must never import application code.
// Integrations (docs/DESIGN.md, "One change log, and what listens to it"): subscriptions — signed
// webhooks, Slack-compatible incoming webhooks and email — each pick event types from the change
// log. A fan-out reads the log from its position (kept here, so a restart resumes where it left
// off) and writes one delivery per matching subscription and event in the same transaction that
// moves the position: every event reaches every subscription exactly once as a delivery, and each
// delivery is then sent at least once, claimed with FOR UPDATE SKIP LOCKED by whichever replica
// is free.

async function run(db: Kysely<any>, script: string): Promise<void> {
  const statements = script
    .split(/;\s*\n/)
    .map((statement) => statement.replace(/^\s*--.*$/gm, "").trim())
    .filter((statement) => statement.length > 0);
  for (const statement of statements) await sql.raw(statement).execute(db);
}

export async function up(db: Kysely<any>): Promise<void> {
  await run(
    db,
    `
    CREATE TABLE subscriptions (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      kind text NOT NULL CHECK (kind IN ('webhook', 'slack', 'email')),
      -- A webhook's or Slack-compatible endpoint's URL, or an email address.
      target text NOT NULL,
      event_types jsonb NOT NULL,
      description text NOT NULL DEFAULT '',
      enabled boolean NOT NULL DEFAULT true,
      -- Webhooks sign with their secret (HMAC needs it in the clear); a rotated-out secret keeps
      -- signing beside the new one until it expires.
      secret text,
      previous_secret text,
      previous_secret_expires_at timestamptz,
      disabled_reason text,
      failing_since timestamptz,
      last_success_at timestamptz,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      created_by text NOT NULL
    );

    CREATE TABLE deliveries (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      subscription_id uuid NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
      -- The change-log event delivered; null for a test ping.
      event_id bigint,
      event_type text NOT NULL,
      -- Deliveries with the same key go out in order: a rollout's own events (created before
      -- wave_started before completed), or one device's events in a rollout. Null: no order.
      order_key text,
      payload jsonb NOT NULL,
      status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'succeeded', 'failed')),
      attempt integer NOT NULL DEFAULT 0,
      -- When it may be sent next; while an attempt is in flight, when its claim lapses.
      next_attempt_at timestamptz,
      status_code integer,
      error text,
      duration_ms integer,
      attempted_at timestamptz,
      created_at timestamptz NOT NULL,
      UNIQUE (subscription_id, event_id)
    );
    -- The sender's queue: due pending deliveries.
    CREATE INDEX deliveries_due_idx ON deliveries (next_attempt_at) WHERE status = 'pending';
    -- Order per subscription and key: nothing is sent while an earlier one with the same key waits.
    CREATE INDEX deliveries_order_idx ON deliveries (subscription_id, order_key, id) WHERE status = 'pending';
    CREATE INDEX deliveries_log_idx ON deliveries (subscription_id, id);

    -- Where each change-log consumer has read to.
    CREATE TABLE event_consumers (
      name text PRIMARY KEY,
      position bigint NOT NULL
    );
    INSERT INTO event_consumers (name, position)
      SELECT 'deliveries', coalesce(max(id), 0) FROM change_events
    `,
  );
}

export async function down(db: Kysely<any>): Promise<void> {
  await run(
    db,
    `
    DROP TABLE event_consumers;
    DROP TABLE deliveries;
    DROP TABLE subscriptions
    `,
  );
}
