import type { Database, Kysely } from "@signalbeam/db";
import type { AgentCache } from "../cache/agentCache";
import type { ApiKeyIdentity, OperatorCache, SessionIdentity } from "../cache/operatorCache";
import type { Clock } from "../shared/logger";
import type { Principal } from "./principal";
import { credentialKind, digestsEqual, parseApiKey, sha256Hex } from "./secrets";

/** What a request carries that may identify its caller. */
export interface RequestCredentials {
  authorization?: string | undefined;
  sessionCookie?: string | undefined;
  csrfHeader?: string | undefined;
  method: string;
}

/** Writes of last-used times are coalesced: one per key per minute is plenty for an operator. */
const LAST_USED_RESOLUTION_MS = 60_000;
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

const rejected = (reason: string, code: "UNAUTHORIZED" | "FORBIDDEN" = "UNAUTHORIZED"): Principal => ({
  kind: "rejected",
  code,
  reason,
});

/**
 * Resolves the caller. A bearer credential wins over a session cookie (tools and agents never
 * send cookies); a cookie-authenticated write must carry the session's CSRF token in
 * `X-CSRF-Token`, which a cross-site page can neither read nor send.
 */
export async function resolvePrincipal(
  db: Kysely<Database>,
  credentials: RequestCredentials,
  clock: Clock,
  caches: { agent?: AgentCache | undefined; operators?: OperatorCache | undefined } = {},
): Promise<Principal> {
  const { authorization, sessionCookie } = credentials;
  if (authorization) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (!match) return rejected("Authorization header must be 'Bearer <token>'");
    const token = match[1]!;
    const kind = credentialKind(token);
    if (kind === "device") return resolveDeviceToken(db, token, caches.agent);
    if (kind === "apiKey") return resolveApiKey(db, token, clock, caches.operators);
    return rejected("unrecognised token: expected a device token (sbd_…) or an API key (sbk_…)");
  }
  if (sessionCookie) return resolveSession(db, credentials, sessionCookie, clock, caches.operators);
  return { kind: "anonymous" };
}

async function resolveDeviceToken(db: Kysely<Database>, token: string, cache: AgentCache | undefined): Promise<Principal> {
  const digest = sha256Hex(token);
  // Agents poll every few seconds: a token seen before is answered from memory (rotation and
  // revocation invalidate it; see AgentCache).
  const cached = cache?.deviceForToken(digest);
  if (cached) return { kind: "device", deviceId: cached };
  const generation = cache?.generation() ?? 0;
  // Looked up by digest: the index comparison sees hashes, so its timing says nothing about the
  // token. The explicit constant-time check keeps that true whatever the lookup becomes.
  const device = await db.selectFrom("devices").select(["id", "token_hash"]).where("token_hash", "=", digest).executeTakeFirst();
  if (!device?.token_hash || !digestsEqual(device.token_hash, digest)) return rejected("invalid or revoked device token");
  cache?.rememberToken(digest, device.id, generation);
  return { kind: "device", deviceId: device.id };
}

async function resolveApiKey(db: Kysely<Database>, key: string, clock: Clock, cache?: OperatorCache): Promise<Principal> {
  const parsed = parseApiKey(key);
  if (!parsed) return rejected("malformed API key");
  const digest = sha256Hex(key);
  const identity = cache?.apiKey(digest) ?? (await readApiKey(db, parsed, digest, cache));
  if (!identity) return rejected("invalid or revoked API key");
  const now = clock();
  if (!identity.lastUsedAt || now.getTime() - identity.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
    identity.lastUsedAt = now; // the cached identity too: concurrent requests write it once
    await db.updateTable("api_keys").set({ last_used_at: now }).where("id", "=", identity.keyId).execute();
  }
  return {
    kind: "user",
    userId: identity.userId,
    username: identity.username,
    role: identity.role,
    via: { type: "apiKey", keyId: identity.keyId, keyName: identity.keyName, prefix: identity.prefix },
  };
}

/** The key's row, if the key verifies and is not revoked; remembered in the cache when there is one. */
async function readApiKey(
  db: Kysely<Database>,
  parsed: { prefix: string; secret: string },
  digest: string,
  cache: OperatorCache | undefined,
): Promise<ApiKeyIdentity | undefined> {
  const generation = cache?.generation() ?? 0;
  const row = await db
    .selectFrom("api_keys")
    .innerJoin("users", "users.id", "api_keys.user_id")
    .select([
      "api_keys.id",
      "api_keys.name",
      "api_keys.secret_hash",
      "api_keys.role",
      "api_keys.revoked_at",
      "api_keys.last_used_at",
      "users.id as user_id",
      "users.username",
    ])
    .where("api_keys.prefix", "=", parsed.prefix)
    .executeTakeFirst();
  if (!row || !digestsEqual(row.secret_hash, sha256Hex(parsed.secret)) || row.revoked_at) return undefined;
  const identity: ApiKeyIdentity = {
    keyId: row.id,
    keyName: row.name,
    prefix: parsed.prefix,
    role: row.role,
    userId: row.user_id,
    username: row.username,
    lastUsedAt: row.last_used_at,
  };
  cache?.rememberApiKey(digest, identity, generation);
  return identity;
}

async function resolveSession(
  db: Kysely<Database>,
  credentials: RequestCredentials,
  cookie: string,
  clock: Clock,
  cache: OperatorCache | undefined,
): Promise<Principal> {
  const sessionKey = sha256Hex(cookie);
  const session = cache?.session(sessionKey) ?? (await readSession(db, sessionKey, cache));
  if (!session || session.expiresAt.getTime() <= clock().getTime()) return rejected("your session has expired; sign in again");
  if (!SAFE_METHODS.has(credentials.method.toUpperCase())) {
    const presented = credentials.csrfHeader ?? "";
    if (!digestsEqual(sha256Hex(presented), sha256Hex(session.csrfToken)))
      return rejected("this request needs the session's X-CSRF-Token header", "FORBIDDEN");
  }
  return {
    kind: "user",
    userId: session.userId,
    username: session.username,
    role: session.role,
    via: { type: "session", csrfToken: session.csrfToken, sessionKey },
  };
}

async function readSession(
  db: Kysely<Database>,
  sessionKey: string,
  cache: OperatorCache | undefined,
): Promise<SessionIdentity | undefined> {
  const generation = cache?.generation() ?? 0;
  const row = await db
    .selectFrom("sessions")
    .innerJoin("users", "users.id", "sessions.user_id")
    .select(["sessions.csrf_token", "sessions.expires_at", "users.id as user_id", "users.username", "users.role"])
    .where("sessions.token_hash", "=", sessionKey)
    .executeTakeFirst();
  if (!row) return undefined;
  const identity: SessionIdentity = {
    userId: row.user_id,
    username: row.username,
    role: row.role,
    csrfToken: row.csrf_token,
    expiresAt: row.expires_at,
  };
  cache?.rememberSession(sessionKey, identity, generation);
  return identity;
}
