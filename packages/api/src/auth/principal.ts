import type { Role } from "@signalbeam/db";
import { DomainError } from "../shared/errors";
import { hasRole } from "./roles";

/**
 * Who is calling, resolved once per request (see `resolvePrincipal`). Every rule about who may do
 * what lives in the assertions below; procedures declare their access level and never look at
 * credentials themselves.
 */
export type Principal =
  | { kind: "anonymous" }
  | DevicePrincipal
  | UserPrincipal
  /** A credential was presented and did not verify: never treated as anonymous. */
  | { kind: "rejected"; code: "UNAUTHORIZED" | "FORBIDDEN"; reason: string };

export interface DevicePrincipal {
  kind: "device";
  deviceId: string;
}

export interface UserPrincipal {
  kind: "user";
  userId: string;
  username: string;
  /** The role this request acts with: the key's role for an API key, the user's for a session. */
  role: Role;
  via:
    | { type: "session"; csrfToken: string; sessionKey: string }
    | { type: "apiKey"; keyId: string; keyName: string; prefix: string };
}

/** What each procedure requires; declared in its meta, enforced in one middleware, documented in OpenAPI. */
export type Access = "public" | "device" | Role;

const signInHint = "sign in to the dashboard or send an API key as 'Authorization: Bearer sbk_…'";

/** Throws the 401/403 a principal gets for a procedure of the given access level. */
export function assertAccess(principal: Principal, access: Access): void {
  if (access === "public") return;
  if (principal.kind === "rejected") throw new DomainError(principal.code, principal.reason);
  if (access === "device") {
    if (principal.kind === "anonymous")
      throw new DomainError("UNAUTHORIZED", "a device token is required (Authorization: Bearer <token>)");
    if (principal.kind === "user")
      throw new DomainError("FORBIDDEN", "agent paths take a device token, not an operator credential");
    return;
  }
  if (principal.kind === "anonymous") throw new DomainError("UNAUTHORIZED", `authentication required: ${signInHint}`);
  if (principal.kind === "device") throw new DomainError("FORBIDDEN", "a device token cannot use operator paths");
  if (!hasRole(principal.role, access)) {
    const who = principal.via.type === "apiKey" ? `API key "${principal.via.keyName}"` : principal.username;
    throw new DomainError("FORBIDDEN", `this needs the ${access} role; ${who} has the ${principal.role} role`);
  }
}

/**
 * Agent paths: a device token, speaking only for its own device. The one check for every agent
 * call — the procedures make it, and so do the server's fast paths before answering from memory.
 */
export function authorizeAgent(principal: Principal, deviceId: string): DevicePrincipal {
  assertAccess(principal, "device");
  const device = principal as DevicePrincipal;
  if (device.deviceId !== deviceId)
    throw new DomainError("FORBIDDEN", `this token belongs to device ${device.deviceId}, not ${deviceId}`);
  return device;
}
