import type { AuditActorType, Database, Kysely } from "@signalbeam/db";
import type { Principal } from "../auth/principal";
import type { auditActions, auditTargetTypes } from "./auditSchemas";

/**
 * The audit trail: who did what to which thing, and when. Written in the same transaction as the
 * change it records, so a rolled-back change leaves no entry and a committed one always has one.
 */
export type AuditAction = (typeof auditActions)[number];
export type AuditTargetType = (typeof auditTargetTypes)[number];

export interface AuditActor {
  type: AuditActorType;
  id: string | null;
  name: string;
}

export const SYSTEM_ACTOR: AuditActor = { type: "system", id: null, name: "system" };

/** The actor as recorded: a user by name, an API key with its owner and its public prefix. */
export function actorOf(principal: Principal): AuditActor {
  if (principal.kind !== "user") return SYSTEM_ACTOR;
  if (principal.via.type === "apiKey")
    return {
      type: "api_key",
      id: principal.via.keyId,
      name: `${principal.username} (API key "${principal.via.keyName}", ${principal.via.prefix})`,
    };
  return { type: "user", id: principal.userId, name: principal.username };
}

export interface AuditEntry {
  action: AuditAction;
  target: { type: AuditTargetType; id: string };
  details?: Record<string, unknown>;
}

/** Writes audit entries (one statement), inside the transaction of the change they record. */
export async function recordAudits(
  db: Kysely<Database>,
  entries: readonly { actor: AuditActor; entry: AuditEntry; at: Date }[],
): Promise<void> {
  if (entries.length === 0) return;
  await db
    .insertInto("audit_events")
    .values(
      entries.map(({ actor, entry, at }) => ({
        at,
        actor_type: actor.type,
        actor_id: actor.id,
        actor_name: actor.name,
        action: entry.action,
        target_type: entry.target.type,
        target_id: entry.target.id,
        details: JSON.stringify(entry.details ?? {}),
      })),
    )
    .execute();
}
