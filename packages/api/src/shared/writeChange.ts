import type { Database, Transaction } from "@signalbeam/db";
import { type AuditActor, type AuditEntry, recordAudits } from "../audit/auditLog";
import { announce, apply, type CacheChange, OPERATORS_CHANGED } from "../cache/invalidation";
import type { WriteDeps } from "../deps";
import { type ChangeEvent, recordEvents } from "./changeLog";
import { inTransaction } from "./transaction";

/**
 * What a write says about itself while it runs; `writeChange` turns it into every side effect, in
 * the right place, so no write path can forget one:
 * - in the transaction: the audit entries, the change log's events, and a NOTIFY per cache change
 *   (other replicas hear it only if the change commits);
 * - after the commit: this process's caches, then the live views of the rollouts it touched, and
 *   the controller for the staged rollouts that need a look.
 */
export interface Change {
  /** The time of this change, read once from the clock. */
  readonly now: Date;
  audit(actor: AuditActor, entry: AuditEntry): void;
  /** An event for the change log (docs/DESIGN.md, "One change log"). */
  event(event: ChangeEvent): void;
  /** This staged rollout needs the controller's attention (a device finished, a manager acted). */
  wakeController(rolloutId: string): void;
  /** These devices' desired states changed: agent caches reload them. */
  desiredStates(deviceIds: readonly string[]): void;
  /** These devices' tokens changed or were revoked: caches forget them. */
  credentials(deviceIds: readonly string[]): void;
  /**
   * A device got this token (registration, rotation): the old one is forgotten like `credentials`,
   * and this process's cache learns the new one at once — unless the device's credentials changed
   * again meanwhile — so its agent's first request needs no lookup.
   */
  newToken(deviceId: string, digest: string): void;
  /** An API key was revoked or a session ended. */
  operatorCredentials(): void;
  /** Live views of this rollout refresh. */
  rollout(rolloutId: string): void;
}

interface Collected {
  audits: { actor: AuditActor; entry: AuditEntry }[];
  events: ChangeEvent[];
  wake: Set<string>;
  caches: CacheChange[];
  tokens: { deviceId: string; digest: string }[];
  rollouts: Set<string>;
}

function collector(now: Date): { change: Change; collected: Collected } {
  const collected: Collected = { audits: [], events: [], wake: new Set(), caches: [], tokens: [], rollouts: new Set() };
  const change: Change = {
    now,
    audit: (actor, entry) => void collected.audits.push({ actor, entry }),
    event: (event) => void collected.events.push(event),
    wakeController: (rolloutId) => void collected.wake.add(rolloutId),
    desiredStates: (devices) => void (devices.length && collected.caches.push({ kind: "desired", devices })),
    credentials: (devices) => void (devices.length && collected.caches.push({ kind: "credentials", devices })),
    newToken: (deviceId, digest) => void collected.tokens.push({ deviceId, digest }),
    operatorCredentials: () => void collected.caches.push(OPERATORS_CHANGED),
    rollout: (rolloutId) => void collected.rollouts.add(rolloutId),
  };
  return { change, collected };
}

/**
 * Runs `work` as one transaction (retried from the start on a deadlock or serialization failure),
 * then applies what it recorded in its `Change`. Nothing is applied for a transaction that rolled
 * back, and a retried attempt starts with an empty `Change`.
 */
export async function writeChange<T>(
  deps: WriteDeps,
  work: (tx: Transaction<Database>, change: Change) => Promise<T>,
): Promise<T> {
  const now = deps.clock();
  let committed: Collected | undefined;
  // Taken before the transaction: a token learnt after it is kept only if nothing changed the
  // device's credentials since (a rotation that commits after ours may be applied here first).
  let generationBefore = 0;
  const result = await inTransaction(deps.db, async (tx) => {
    generationBefore = deps.agentCache.generation();
    const { change, collected } = collector(now);
    const value = await work(tx, change);
    await recordAudits(
      tx,
      collected.audits.map(({ actor, entry }) => ({ actor, entry, at: now })),
    );
    await recordEvents(tx, collected.events, now);
    const tokenChange: CacheChange[] = collected.tokens.length
      ? [{ kind: "credentials", devices: collected.tokens.map((token) => token.deviceId) }]
      : [];
    for (const cacheChange of [...collected.caches, ...tokenChange]) await announce(tx, cacheChange, deps.agentCache);
    committed = collected;
    return value;
  });
  const done = committed!;
  for (const cacheChange of done.caches) apply(deps.agentCache, cacheChange, deps.operatorCache);
  for (const token of done.tokens) deps.agentCache.tokenReplaced(token.deviceId, token.digest, generationBefore);
  for (const rolloutId of done.rollouts) deps.events.changed(rolloutId);
  for (const rolloutId of done.wake) deps.events.controllerWanted(rolloutId);
  if (done.events.length) {
    deps.metrics.committed(done.events);
    deps.events.eventsCommitted();
  }
  return result;
}
