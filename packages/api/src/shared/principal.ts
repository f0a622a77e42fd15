import type { Database, Kysely } from "@signalbeam/db";
import { hashDeviceToken } from "../devices/deviceToken";
import { DomainError } from "./errors";

/**
 * Who is calling. Operator accounts arrive with the security issue; until then an anonymous caller
 * acts as an operator, and every rule about who may do what lives in the functions below.
 */
export type Principal =
  | { kind: "anonymous" }
  | { kind: "device"; deviceId: string }
  /** A credential was presented and did not verify: never treated as anonymous. */
  | { kind: "rejected"; reason: string };

export async function resolvePrincipal(db: Kysely<Database>, authorization: string | undefined): Promise<Principal> {
  if (authorization === undefined || authorization === "") return { kind: "anonymous" };
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  if (!match) return { kind: "rejected", reason: "Authorization header must be 'Bearer <token>'" };
  const device = await db
    .selectFrom("devices")
    .select("id")
    .where("token_hash", "=", hashDeviceToken(match[1]!))
    .executeTakeFirst();
  if (!device) return { kind: "rejected", reason: "invalid or revoked token" };
  return { kind: "device", deviceId: device.id };
}

/** Operator paths: managers, the dashboard and tools. A device credential has no business here. */
export function assertOperator(principal: Principal): void {
  if (principal.kind === "rejected") throw new DomainError("UNAUTHORIZED", principal.reason);
  if (principal.kind === "device") throw new DomainError("FORBIDDEN", "a device token cannot use operator paths");
}

/** Agent paths: a device credential is required, and it speaks only for its own device. */
export function assertDevice(principal: Principal): asserts principal is { kind: "device"; deviceId: string } {
  if (principal.kind === "anonymous")
    throw new DomainError("UNAUTHORIZED", "a device token is required (Authorization: Bearer <token>)");
  if (principal.kind === "rejected") throw new DomainError("UNAUTHORIZED", principal.reason);
}

export function assertActsFor(principal: { kind: "device"; deviceId: string }, deviceId: string): void {
  if (principal.deviceId !== deviceId)
    throw new DomainError("FORBIDDEN", `this token belongs to device ${principal.deviceId}, not ${deviceId}`);
}
