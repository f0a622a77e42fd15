import { type Kysely, sql } from "kysely";

// Frozen in time: this migration must never import application code.

// One statement per call: PGlite's extended protocol runs a single statement at a time.
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
    CREATE TABLE devices (
      id text PRIMARY KEY,
      name text NOT NULL,
      labels jsonb NOT NULL DEFAULT '{}'::jsonb,
      token_hash text UNIQUE,
      created_at timestamptz NOT NULL DEFAULT now(),
      last_seen_at timestamptz,
      reported_bundle_id uuid,
      reported_version text,
      agent_version text
    );

    CREATE TABLE device_groups (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      name text NOT NULL UNIQUE,
      created_at timestamptz NOT NULL DEFAULT now()
    );

    CREATE TABLE group_members (
      group_id uuid NOT NULL REFERENCES device_groups (id) ON DELETE CASCADE,
      device_id text NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
      PRIMARY KEY (group_id, device_id)
    );
    CREATE INDEX group_members_device_id_idx ON group_members (device_id);

    CREATE TABLE bundles (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      name text NOT NULL UNIQUE,
      description text NOT NULL DEFAULT '',
      created_at timestamptz NOT NULL DEFAULT now()
    );

    CREATE TABLE bundle_versions (
      bundle_id uuid NOT NULL REFERENCES bundles (id) ON DELETE CASCADE,
      version text NOT NULL,
      containers jsonb NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (bundle_id, version)
    );

    CREATE TABLE rollouts (
      id uuid PRIMARY KEY,
      bundle_id uuid NOT NULL,
      version text NOT NULL,
      target_type text NOT NULL CHECK (target_type IN ('device', 'group')),
      target_ids jsonb NOT NULL,
      status text NOT NULL CHECK (status IN ('pending', 'in_progress', 'completed', 'failed', 'cancelled')),
      cancel_requested_at timestamptz,
      total integer NOT NULL CHECK (total >= 0),
      pending integer NOT NULL CHECK (pending >= 0),
      updating integer NOT NULL CHECK (updating >= 0),
      succeeded integer NOT NULL CHECK (succeeded >= 0),
      failed integer NOT NULL CHECK (failed >= 0),
      cancelled integer NOT NULL CHECK (cancelled >= 0),
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      completed_at timestamptz,
      FOREIGN KEY (bundle_id, version) REFERENCES bundle_versions (bundle_id, version),
      CHECK (total = pending + updating + succeeded + failed + cancelled)
    );
    -- Newest-first pages, optionally filtered by bundle or status.
    CREATE INDEX rollouts_created_idx ON rollouts (created_at DESC, id DESC);
    CREATE INDEX rollouts_bundle_created_idx ON rollouts (bundle_id, created_at DESC, id DESC);
    CREATE INDEX rollouts_status_created_idx ON rollouts (status, created_at DESC, id DESC);

    CREATE TABLE rollout_statuses (
      rollout_id uuid NOT NULL REFERENCES rollouts (id) ON DELETE CASCADE,
      device_id text NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
      status text NOT NULL CHECK (status IN ('pending', 'updating', 'succeeded', 'failed', 'cancelled')),
      attempt integer NOT NULL DEFAULT 1,
      started_at timestamptz,
      completed_at timestamptz,
      error_message text,
      updated_at timestamptz NOT NULL,
      previous_bundle_id uuid,
      previous_version text,
      PRIMARY KEY (rollout_id, device_id)
    );
    -- Finds a device's active (pending/updating) row for the supersede rule. Not UNIQUE although a
    -- device is active in at most one rollout: create and retry insert the new active row before the
    -- same transaction supersedes the old one, and PostgreSQL cannot defer a partial unique index.
    CREATE INDEX rollout_statuses_active_device_idx
      ON rollout_statuses (device_id) WHERE status IN ('pending', 'updating');
    CREATE INDEX rollout_statuses_rollout_status_idx ON rollout_statuses (rollout_id, status, device_id);

    CREATE TABLE device_desired_states (
      device_id text PRIMARY KEY REFERENCES devices (id) ON DELETE CASCADE,
      rollout_id uuid REFERENCES rollouts (id) ON DELETE SET NULL,
      bundle_id uuid,
      version text,
      updated_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX device_desired_states_rollout_idx ON device_desired_states (rollout_id);
  `,
  );
}

export async function down(db: Kysely<any>): Promise<void> {
  await run(
    db,
    `
    DROP TABLE device_desired_states;
    DROP TABLE rollout_statuses;
    DROP TABLE rollouts;
    DROP TABLE bundle_versions;
    DROP TABLE bundles;
    DROP TABLE group_members;
    DROP TABLE device_groups;
    DROP TABLE devices;
  `,
  );
}
