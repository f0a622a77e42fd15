import type { Role } from "@signalbeam/db";

export type { Role };
export const ROLES = ["viewer", "operator", "admin"] as const satisfies readonly Role[];

/** Roles are nested: an admin can do everything an operator can, an operator everything a viewer can. */
export const hasRole = (held: Role, required: Role): boolean => ROLES.indexOf(held) >= ROLES.indexOf(required);
