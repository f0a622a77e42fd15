import { type Database, sql, type Transaction } from "@signalbeam/db";
import type { AgentCache } from "./agentCache";
import type { OperatorCache } from "./operatorCache";

/**
 * Telling caches that desired states, device credentials or operator credentials changed: `announce` inside the writing
 * transaction (a PostgreSQL NOTIFY, delivered to other replicas only if the transaction commits),
 * `apply` on this process's own cache once it has committed.
 */
export const INVALIDATION_CHANNEL = "signalbeam_agent_cache";

/** NOTIFY payloads are limited to 8000 bytes; a larger change invalidates everything. */
const MAX_LISTED_DEVICES = 200;

export interface CacheChange {
  /** `operators`: an API key was revoked or a session ended (`devices` is then "all"). */
  kind: "desired" | "credentials" | "operators";
  devices: readonly string[] | "all";
  /** The cache of the replica that made the change: it applies its own changes directly, so it skips this one. */
  origin?: string;
}

export function encodeChange(change: CacheChange): string {
  const devices = change.devices === "all" || change.devices.length > MAX_LISTED_DEVICES ? "all" : change.devices;
  return JSON.stringify({ kind: change.kind, devices, ...(change.origin ? { origin: change.origin } : {}) });
}

export function decodeChange(payload: string): CacheChange | undefined {
  try {
    const parsed = JSON.parse(payload) as CacheChange;
    if (
      (parsed.kind === "desired" || parsed.kind === "credentials" || parsed.kind === "operators") &&
      (parsed.devices === "all" || Array.isArray(parsed.devices)) &&
      (parsed.origin === undefined || typeof parsed.origin === "string")
    )
      return parsed;
  } catch {
    // a payload from something else on the channel: ignore it
  }
  return undefined;
}

export const OPERATORS_CHANGED: CacheChange = { kind: "operators", devices: "all" };

/** `from`: this replica's agent cache, whose id tells its own messages from other replicas'. */
export async function announce(tx: Transaction<Database>, change: CacheChange, from: AgentCache | undefined): Promise<void> {
  if (change.devices !== "all" && change.devices.length === 0) return;
  const payload = encodeChange({ ...change, ...(from ? { origin: from.id } : {}) });
  await sql`SELECT pg_notify(${INVALIDATION_CHANNEL}, ${payload})`.execute(tx);
}

export function apply(cache: AgentCache | undefined, change: CacheChange, operators?: OperatorCache): void {
  if (change.kind === "operators") return operators?.changed();
  if (!cache) return;
  if (change.kind === "desired") cache.desiredStatesChanged(change.devices);
  else cache.credentialsChanged(change.devices);
}
