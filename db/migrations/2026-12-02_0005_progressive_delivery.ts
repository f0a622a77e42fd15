import { type Kysely, sql } from "kysely";

// Frozen in time: this migration must never import application code.
// Progressive delivery (docs/DESIGN.md, "Progressive delivery: rollout policies"): a rollout may
// carry a policy; its devices wait `queued` until the controller releases them wave by wave. The
// controller's whole state for a rollout — waves with their exact counters, pause, schedule, the
// releases of the last minute — lives on the rollout row, which every writer already locks, so a
// controller action is one row written under that lock. And one change log (an outbox table)
// receives an event for every meaningful change, in the transaction that makes it.
// Desired states lose their foreign key to rollouts: releasing a 90,000-device wave spent a sixth of
// its time (0.57 s of 3.3 s, EXPLAIN ANALYZE) in that key's per-row checks, and so does every large
// create. Rollouts are never deleted, and every writer that points a desired state at a rollout
// holds that rollout's row lock in the same transaction, so the check could never fail.

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
    ALTER TABLE rollouts ADD COLUMN queued integer NOT NULL DEFAULT 0 CHECK (queued >= 0);
    ALTER TABLE rollouts DROP CONSTRAINT rollouts_check;
    ALTER TABLE rollouts ADD CONSTRAINT rollouts_total_check_all CHECK (total = pending + queued + updating + succeeded + failed + cancelled);
    ALTER TABLE rollouts DROP CONSTRAINT rollouts_status_check;
    ALTER TABLE rollouts ADD CONSTRAINT rollouts_status_check
      CHECK (status IN ('scheduled', 'paused', 'pending', 'in_progress', 'completed', 'failed', 'cancelled'));
    ALTER TABLE rollouts ADD COLUMN policy jsonb;
    ALTER TABLE rollouts ADD COLUMN kind text NOT NULL DEFAULT 'standard' CHECK (kind IN ('standard', 'rollback'));
    ALTER TABLE rollouts ADD COLUMN rollback_of uuid REFERENCES rollouts (id) ON DELETE SET NULL;
    ALTER TABLE rollouts ADD COLUMN rolled_back_by jsonb;
    ALTER TABLE rollouts ADD COLUMN waves jsonb;
    ALTER TABLE rollouts ADD COLUMN current_wave integer;
    ALTER TABLE rollouts ADD COLUMN start_at timestamptz;
    ALTER TABLE rollouts ADD COLUMN paused_at timestamptz;
    ALTER TABLE rollouts ADD COLUMN paused_reason text;
    ALTER TABLE rollouts ADD COLUMN threshold_since timestamptz;
    ALTER TABLE rollouts ADD COLUMN waiting_for text;
    ALTER TABLE rollouts ADD COLUMN next_action_at timestamptz;
    ALTER TABLE rollouts ADD COLUMN release_log jsonb;
    ALTER TABLE rollouts ADD COLUMN revision integer NOT NULL DEFAULT 0;
    -- The controller's tick: rollouts whose next time-based action is due.
    CREATE INDEX rollouts_next_action_idx ON rollouts (next_action_at) WHERE next_action_at IS NOT NULL;

    ALTER TABLE rollout_statuses DROP CONSTRAINT rollout_statuses_status_check;
    ALTER TABLE rollout_statuses ADD CONSTRAINT rollout_statuses_status_check
      CHECK (status IN ('queued', 'pending', 'updating', 'succeeded', 'failed', 'cancelled'));
    ALTER TABLE rollout_statuses ADD COLUMN wave integer;
    ALTER TABLE rollout_statuses ADD COLUMN release_order integer;
    ALTER TABLE rollout_statuses ADD COLUMN next_attempt_at timestamptz;
    -- A queued device is claimed too: the supersede rule finds it like a pending one.
    DROP INDEX rollout_statuses_active_device_idx;
    CREATE INDEX rollout_statuses_active_device_idx
      ON rollout_statuses (device_id) WHERE status IN ('queued', 'pending', 'updating');
    -- Releases take queued devices in their wave's stable order.
    CREATE INDEX rollout_statuses_queue_idx
      ON rollout_statuses (rollout_id, wave, release_order) WHERE status = 'queued';

    ALTER TABLE device_desired_states DROP CONSTRAINT device_desired_states_rollout_id_fkey;

    CREATE TABLE change_events (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      type text NOT NULL,
      at timestamptz NOT NULL,
      rollout_id uuid,
      device_id text,
      actor jsonb NOT NULL,
      data jsonb NOT NULL DEFAULT '{}'::jsonb,
      -- The writing transaction: readers page by id only below every transaction still running.
      xact_id xid8 NOT NULL DEFAULT pg_current_xact_id()
    );
    CREATE INDEX change_events_rollout_idx ON change_events (rollout_id, id) WHERE rollout_id IS NOT NULL;
    CREATE INDEX change_events_type_idx ON change_events (type, id)
    `,
  );
}

export async function down(db: Kysely<any>): Promise<void> {
  await run(
    db,
    `
    DROP TABLE change_events;
    ALTER TABLE device_desired_states ADD CONSTRAINT device_desired_states_rollout_id_fkey
      FOREIGN KEY (rollout_id) REFERENCES rollouts (id) ON DELETE SET NULL;
    DROP INDEX rollout_statuses_queue_idx;
    DROP INDEX rollout_statuses_active_device_idx;
    CREATE INDEX rollout_statuses_active_device_idx ON rollout_statuses (device_id) WHERE status IN ('pending', 'updating');
    ALTER TABLE rollout_statuses DROP COLUMN next_attempt_at;
    ALTER TABLE rollout_statuses DROP COLUMN release_order;
    ALTER TABLE rollout_statuses DROP COLUMN wave;
    ALTER TABLE rollout_statuses DROP CONSTRAINT rollout_statuses_status_check;
    ALTER TABLE rollout_statuses ADD CONSTRAINT rollout_statuses_status_check
      CHECK (status IN ('pending', 'updating', 'succeeded', 'failed', 'cancelled'));
    DROP INDEX rollouts_next_action_idx;
    ALTER TABLE rollouts DROP COLUMN revision;
    ALTER TABLE rollouts DROP COLUMN release_log;
    ALTER TABLE rollouts DROP COLUMN next_action_at;
    ALTER TABLE rollouts DROP COLUMN waiting_for;
    ALTER TABLE rollouts DROP COLUMN threshold_since;
    ALTER TABLE rollouts DROP COLUMN paused_reason;
    ALTER TABLE rollouts DROP COLUMN paused_at;
    ALTER TABLE rollouts DROP COLUMN start_at;
    ALTER TABLE rollouts DROP COLUMN current_wave;
    ALTER TABLE rollouts DROP COLUMN waves;
    ALTER TABLE rollouts DROP COLUMN rolled_back_by;
    ALTER TABLE rollouts DROP COLUMN rollback_of;
    ALTER TABLE rollouts DROP COLUMN kind;
    ALTER TABLE rollouts DROP COLUMN policy;
    ALTER TABLE rollouts DROP CONSTRAINT rollouts_status_check;
    ALTER TABLE rollouts ADD CONSTRAINT rollouts_status_check
      CHECK (status IN ('pending', 'in_progress', 'completed', 'failed', 'cancelled'));
    ALTER TABLE rollouts DROP CONSTRAINT rollouts_total_check_all;
    ALTER TABLE rollouts DROP COLUMN queued;
    ALTER TABLE rollouts ADD CONSTRAINT rollouts_check CHECK (total = pending + updating + succeeded + failed + cancelled)
    `,
  );
}
