import type { ColumnType, Generated, Insertable, Selectable, Updateable } from "kysely";

/**
 * The Kysely view of the schema. Keyed by table name (snake_case), as the migrations create it.
 * Migrations never import this file: they are frozen in time, this file follows the latest one.
 */

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
type Json<T> = ColumnType<T, string, string>;

export type DeviceRolloutState = "queued" | "pending" | "updating" | "succeeded" | "failed" | "cancelled";
export type RolloutState = "scheduled" | "paused" | "pending" | "in_progress" | "completed" | "failed" | "cancelled";
export type RolloutKind = "standard" | "rollback";
export type WaitingFor = "schedule" | "window" | "soak" | "approval" | "gate" | "rate" | "retry";

/** A rollout policy as stored (validated by the API's policy schema; docs/DESIGN.md). */
export interface RolloutPolicy {
  waves: { name?: string; percent?: number; count?: number; selector?: { labels: Record<string, string> } }[];
  advance: "auto" | "manual";
  gate: { successPercent: number; soakSeconds: number };
  failureThreshold?: { percent: number; minCompleted: number; action: "pause" | "abort" | "rollback" };
  deviceTimeoutSeconds?: number;
  retry?: { maxAttempts: number; backoffSeconds: number };
  rate?: { maxPerMinute: number };
  schedule?: { startAt?: string; windows?: { cron: string; durationMinutes: number; timezone: string }[] };
}

export type DeviceStateCounts = Record<DeviceRolloutState, number>;

/** One wave of a staged rollout as stored on its rollout row, counters exact like the rollout's. */
export interface WaveState {
  name: string | null;
  size: number;
  startedAt: string | null;
  passedAt: string | null;
  counts: DeviceStateCounts;
}

/** Releases of the last minute, `[epoch ms, devices]`, for the rate limit. */
export type ReleaseLog = [number, number][];
export type TargetType = "device" | "group";

export interface ContainerSpec {
  name: string;
  image: string;
  env?: Record<string, string>;
  command?: string[];
  ports?: { containerPort: number; hostPort?: number; protocol?: "tcp" | "udp" }[];
  restartPolicy?: "no" | "always" | "on-failure" | "unless-stopped";
}

export interface DevicesTable {
  id: string;
  name: string;
  labels: Json<Record<string, string>>;
  token_hash: string | null;
  created_at: CreatedAt;
  last_seen_at: Timestamp | null;
  reported_bundle_id: string | null;
  reported_version: string | null;
  agent_version: string | null;
}

export interface DeviceGroupsTable {
  id: Generated<string>;
  name: string;
  created_at: CreatedAt;
}

export interface GroupMembersTable {
  group_id: string;
  device_id: string;
}

export interface BundlesTable {
  id: Generated<string>;
  name: string;
  description: string;
  created_at: CreatedAt;
}

export interface BundleVersionsTable {
  bundle_id: string;
  version: string;
  containers: Json<ContainerSpec[]>;
  created_at: CreatedAt;
}

export interface RolloutsTable {
  id: string;
  bundle_id: string;
  version: string;
  target_type: TargetType;
  /** As requested at creation; never changes afterwards (read through the API's target-list cache). */
  target_ids: Json<string[]>;
  /** The length of `target_ids`, so reads that need only that never fetch the list. */
  target_count: number;
  status: RolloutState;
  cancel_requested_at: Timestamp | null;
  total: number;
  queued: Generated<number>;
  pending: number;
  updating: number;
  succeeded: number;
  failed: number;
  cancelled: number;
  created_at: Timestamp;
  updated_at: Timestamp;
  completed_at: Timestamp | null;
  policy: Json<RolloutPolicy | null> | null;
  kind: Generated<RolloutKind>;
  rollback_of: string | null;
  rolled_back_by: Json<string[] | null> | null;
  /** Null without a policy. */
  waves: Json<WaveState[] | null> | null;
  /** The index of the latest wave started; null before the first. */
  current_wave: number | null;
  start_at: Timestamp | null;
  paused_at: Timestamp | null;
  paused_reason: string | null;
  /** Set by a resume: the failure threshold counts only devices that finished since. */
  threshold_since: Timestamp | null;
  waiting_for: WaitingFor | null;
  /** When the controller must look at this rollout again; null when only a report or a manager can move it. */
  next_action_at: Timestamp | null;
  release_log: Json<ReleaseLog | null> | null;
  /** Raised by every controller and manager action: the compare-and-set that keeps each action single. */
  revision: Generated<number>;
}

export interface RolloutStatusesTable {
  rollout_id: string;
  device_id: string;
  /** Copied from the device at rollout creation (names are fixed at registration), for sorted pages. */
  device_name: string;
  status: DeviceRolloutState;
  attempt: number;
  started_at: Timestamp | null;
  completed_at: Timestamp | null;
  error_message: string | null;
  updated_at: Timestamp;
  previous_bundle_id: string | null;
  previous_version: string | null;
  /** The wave a staged rollout placed this device in; null without a policy. */
  wave: number | null;
  /** Position in the rollout's stable release order. */
  release_order: number | null;
  /** A queued device waiting for its retry backoff is released no earlier than this. */
  next_attempt_at: Timestamp | null;
}

export interface DeviceDesiredStatesTable {
  device_id: string;
  rollout_id: string | null;
  bundle_id: string | null;
  version: string | null;
  updated_at: Timestamp;
}

export type Role = "viewer" | "operator" | "admin";
export type AuditActorType = "user" | "api_key" | "system";

export interface UsersTable {
  id: Generated<string>;
  username: string;
  password_hash: string;
  role: Role;
  created_at: CreatedAt;
  created_by: string | null;
}

export interface SessionsTable {
  token_hash: string;
  user_id: string;
  csrf_token: string;
  created_at: CreatedAt;
  expires_at: Timestamp;
}

export interface ApiKeysTable {
  id: Generated<string>;
  name: string;
  prefix: string;
  secret_hash: string;
  role: Role;
  user_id: string;
  created_at: CreatedAt;
  last_used_at: Timestamp | null;
  revoked_at: Timestamp | null;
}

export interface AuditEventsTable {
  id: Generated<string>;
  at: Generated<Date>;
  actor_type: AuditActorType;
  actor_id: string | null;
  actor_name: string;
  action: string;
  target_type: string;
  target_id: string;
  details: Json<Record<string, unknown>>;
}

export interface ChangeEventsTable {
  id: Generated<string>;
  type: string;
  at: Timestamp;
  rollout_id: string | null;
  device_id: string | null;
  actor: Json<{ type: AuditActorType | "agent"; id: string | null; name: string }>;
  data: Json<Record<string, unknown>>;
  /** The writing transaction's id (xid8), for readers that page by id. */
  xact_id: Generated<string>;
}

export type SubscriptionKind = "webhook" | "slack" | "email";

export interface SubscriptionsTable {
  id: Generated<string>;
  kind: SubscriptionKind;
  /** A webhook's or Slack-compatible endpoint's URL, or an email address. */
  target: string;
  event_types: Json<string[]>;
  description: Generated<string>;
  enabled: Generated<boolean>;
  secret: string | null;
  previous_secret: string | null;
  previous_secret_expires_at: Timestamp | null;
  disabled_reason: string | null;
  failing_since: Timestamp | null;
  last_success_at: Timestamp | null;
  created_at: Timestamp;
  updated_at: Timestamp;
  created_by: string;
}

export type DeliveryStatus = "pending" | "succeeded" | "failed";

export interface DeliveriesTable {
  id: Generated<string>;
  subscription_id: string;
  event_id: string | null;
  event_type: string;
  /** Deliveries with the same key go out in order (see the migration); null: no order. */
  order_key: string | null;
  payload: Json<Record<string, unknown>>;
  status: Generated<DeliveryStatus>;
  attempt: Generated<number>;
  next_attempt_at: Timestamp | null;
  status_code: number | null;
  error: string | null;
  duration_ms: number | null;
  attempted_at: Timestamp | null;
  created_at: Timestamp;
}

export interface EventConsumersTable {
  name: string;
  position: string;
}

/** Failed-login counts shared by replicas (written by rate-limiter-flexible; epoch ms expiry). */
export interface LoginAttemptsTable {
  key: string;
  points: number;
  expire: number | null;
}

export interface Database {
  devices: DevicesTable;
  device_groups: DeviceGroupsTable;
  group_members: GroupMembersTable;
  bundles: BundlesTable;
  bundle_versions: BundleVersionsTable;
  rollouts: RolloutsTable;
  rollout_statuses: RolloutStatusesTable;
  device_desired_states: DeviceDesiredStatesTable;
  users: UsersTable;
  sessions: SessionsTable;
  api_keys: ApiKeysTable;
  audit_events: AuditEventsTable;
  change_events: ChangeEventsTable;
  subscriptions: SubscriptionsTable;
  deliveries: DeliveriesTable;
  event_consumers: EventConsumersTable;
  login_attempts: LoginAttemptsTable;
}

export type Device = Selectable<DevicesTable>;
export type NewDevice = Insertable<DevicesTable>;
export type Rollout = Selectable<RolloutsTable>;
/** A rollout row as every read and write uses it: without the (immutable, possibly 1 MB) target list. */
export type RolloutRow = Omit<Rollout, "target_ids">;
export type RolloutUpdate = Updateable<RolloutsTable>;
export type RolloutStatusRow = Selectable<RolloutStatusesTable>;
export type Bundle = Selectable<BundlesTable>;
export type BundleVersion = Selectable<BundleVersionsTable>;
export type DeviceGroup = Selectable<DeviceGroupsTable>;
