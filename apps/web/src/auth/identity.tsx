import type { RouterOutputs } from "@signalbeam/api";
import { createContext, useContext } from "react";

export type Identity = RouterOutputs["auth"]["me"];
export type Role = Identity["role"];

const IdentityContext = createContext<Identity | null>(null);
export const IdentityProvider = IdentityContext.Provider;

/** The signed-in operator; only rendered inside the AuthGate, so always set. */
export function useIdentity(): Identity {
  const identity = useContext(IdentityContext);
  if (!identity) throw new Error("useIdentity outside the AuthGate");
  return identity;
}

const rank: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };

/** Whether the signed-in operator may do what needs `role` (the server checks again, always). */
export const useCan = (role: Role) => rank[useIdentity().role] >= rank[role];
