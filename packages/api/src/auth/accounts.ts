import type { Database, Kysely, Role } from "@signalbeam/db";
import { type AuditActor, recordAudit } from "../audit/auditLog";
import { DomainError } from "../shared/errors";
import { hashPassword } from "./passwords";
import { generateApiKey, parseApiKey, sha256Hex } from "./secrets";

/** Users and API keys: the writes shared by the admin endpoints and the first-start bootstrap. */

export interface NewUser {
  username: string;
  password: string;
  role: Role;
}

export async function createUser(db: Kysely<Database>, actor: AuditActor, user: NewUser, now: Date) {
  const passwordHash = await hashPassword(user.password); // outside the transaction: ~100 ms of CPU
  return db.transaction().execute(async (tx) => {
    const created = await tx
      .insertInto("users")
      .values({ username: user.username, password_hash: passwordHash, role: user.role, created_at: now, created_by: actor.name })
      .onConflict((conflict) => conflict.column("username").doNothing())
      .returning(["id", "username", "role", "created_at"])
      .executeTakeFirst();
    if (!created) throw new DomainError("CONFLICT", `user ${user.username} already exists`, { field: "username" });
    await recordAudit(
      tx,
      actor,
      {
        action: "user.created",
        target: { type: "user", id: created.id },
        details: { username: created.username, role: created.role },
      },
      now,
    );
    return created;
  });
}

export interface NewApiKey {
  name: string;
  role: Role;
  ownerId: string;
  /** An operator-chosen key (SIGNALBEAM_ADMIN_TOKEN); generated when absent. */
  key?: string;
}

export async function createApiKey(db: Kysely<Database>, actor: AuditActor, request: NewApiKey, now: Date) {
  const material = request.key ? fromChosenKey(request.key) : generateApiKey();
  return db.transaction().execute(async (tx) => {
    const created = await tx
      .insertInto("api_keys")
      .values({
        name: request.name,
        prefix: material.prefix,
        secret_hash: material.secretHash,
        role: request.role,
        user_id: request.ownerId,
        created_at: now,
      })
      .returning(["id", "name", "prefix", "role", "created_at"])
      .executeTakeFirstOrThrow();
    await recordAudit(
      tx,
      actor,
      {
        action: "api_key.created",
        target: { type: "api_key", id: created.id },
        details: { name: created.name, prefix: created.prefix, role: created.role },
      },
      now,
    );
    return { ...created, key: material.key };
  });
}

function fromChosenKey(key: string) {
  const parsed = parseApiKey(key);
  if (!parsed) throw new DomainError("BAD_REQUEST", "an API key must look like sbk_<12 hex digits>_<16–128 of A-Z a-z 0-9 _ ->");
  return { key, prefix: parsed.prefix, secretHash: sha256Hex(parsed.secret) };
}
