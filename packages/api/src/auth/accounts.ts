import type { Role } from "@signalbeam/db";
import type { AuditActor } from "../audit/auditLog";
import type { WriteDeps } from "../deps";
import { writeChange } from "../shared/writeChange";
import { DomainError } from "../shared/errors";
import { hashPassword } from "./passwords";
import { generateApiKey, parseApiKey, sha256Hex } from "./secrets";

/** Users and API keys: the writes shared by the admin endpoints and the first-start bootstrap. */

export interface NewUser {
  username: string;
  password: string;
  role: Role;
}

export async function createUser(deps: WriteDeps, actor: AuditActor, user: NewUser) {
  const passwordHash = await hashPassword(user.password); // outside the transaction: ~100 ms of CPU
  return writeChange(deps, async (tx, change) => {
    const created = await tx
      .insertInto("users")
      .values({
        username: user.username,
        password_hash: passwordHash,
        role: user.role,
        created_at: change.now,
        created_by: actor.name,
      })
      .onConflict((conflict) => conflict.column("username").doNothing())
      .returning(["id", "username", "role", "created_at"])
      .executeTakeFirst();
    if (!created) throw new DomainError("CONFLICT", `user ${user.username} already exists`, { field: "username" });
    change.audit(actor, {
      action: "user.created",
      target: { type: "user", id: created.id },
      details: { username: created.username, role: created.role },
    });
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

export async function createApiKey(deps: WriteDeps, actor: AuditActor, request: NewApiKey) {
  const material = request.key ? fromChosenKey(request.key) : generateApiKey();
  return writeChange(deps, async (tx, change) => {
    const created = await tx
      .insertInto("api_keys")
      .values({
        name: request.name,
        prefix: material.prefix,
        secret_hash: material.secretHash,
        role: request.role,
        user_id: request.ownerId,
        created_at: change.now,
      })
      .returning(["id", "name", "prefix", "role", "created_at"])
      .executeTakeFirstOrThrow();
    change.audit(actor, {
      action: "api_key.created",
      target: { type: "api_key", id: created.id },
      details: { name: created.name, prefix: created.prefix, role: created.role },
    });
    return { ...created, key: material.key };
  });
}

function fromChosenKey(key: string) {
  const parsed = parseApiKey(key);
  if (!parsed) throw new DomainError("BAD_REQUEST", "an API key must look like sbk_<12 hex digits>_<16–128 of A-Z a-z 0-9 _ ->");
  return { key, prefix: parsed.prefix, secretHash: sha256Hex(parsed.secret) };
}
