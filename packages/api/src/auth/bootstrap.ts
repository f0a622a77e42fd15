import { randomBytes } from "node:crypto";
import type { WriteDeps } from "../deps";
import { SYSTEM_ACTOR } from "../audit/auditLog";
import { createApiKey, createUser } from "./accounts";

export interface BootstrapOptions {
  /** SIGNALBEAM_ADMIN_PASSWORD; generated when absent. */
  password?: string | undefined;
  /** SIGNALBEAM_ADMIN_TOKEN; generated when absent. */
  token?: string | undefined;
}

export interface BootstrapResult {
  username: string;
  /** Set only when generated here: the caller prints it once, nothing stores it in clear. */
  generatedPassword?: string;
  generatedToken?: string;
}

export const BOOTSTRAP_USERNAME = "admin";

/**
 * First start with no operator accounts: create user `admin` and an admin API key, so a new
 * installation is usable (and closed to strangers) without any setup. Does nothing once any user
 * exists; a second replica racing this one loses on the unique username and does nothing either.
 */
export async function bootstrapAdmin(deps: WriteDeps, options: BootstrapOptions): Promise<BootstrapResult | undefined> {
  const anyUser = await deps.db.selectFrom("users").select("id").limit(1).executeTakeFirst();
  if (anyUser) return undefined;
  const password = options.password ?? randomBytes(15).toString("base64url");
  let user;
  try {
    user = await createUser(deps, SYSTEM_ACTOR, { username: BOOTSTRAP_USERNAME, password, role: "admin" });
  } catch (error) {
    if (error instanceof Error && error.name === "DomainError") return undefined;
    throw error;
  }
  const key = await createApiKey(deps, SYSTEM_ACTOR, {
    name: "bootstrap admin key",
    role: "admin",
    ownerId: user.id,
    key: options.token,
  });
  return {
    username: user.username,
    ...(options.password === undefined ? { generatedPassword: password } : {}),
    ...(options.token === undefined ? { generatedToken: key.key } : {}),
  };
}
