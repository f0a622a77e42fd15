import { createHash, randomUUID } from "node:crypto";
import { LRUCache } from "lru-cache";

/**
 * What agent traffic reads over and over, kept in memory: which device a token digest belongs to,
 * and each device's desired-state answer with its ETag. Polls are most of a fleet's requests and
 * nearly all of them find nothing changed, so this is what makes a poll cheap.
 *
 * Correctness rests on invalidation, never on expiry: every write that changes a desired state or
 * a credential calls `desiredStatesChanged` / `credentialsChanged` after its commit (and other
 * replicas hear of it through PostgreSQL NOTIFY). A read that overlaps an invalidation of the same
 * device does not store its answer (the generation check), so a stale answer can never outlive the
 * change. The check is per device: while 10,000 agents register, each registration invalidates
 * its own device, and a global check would throw away nearly every other read made meanwhile —
 * leaving the whole fleet uncached and its polls piling up on the database.
 */
export interface DesiredStateEntry {
  body: string;
  etag: string;
}

export interface AgentCache {
  deviceForToken(digest: string): string | undefined;
  /**
   * Generations: take one before a database read, hand it back when storing what the read found;
   * it is stored only if that device (or everything) was not invalidated since.
   */
  generation(): number;
  rememberToken(digest: string, deviceId: string, readAtGeneration: number): void;
  desiredState(deviceId: string): DesiredStateEntry | undefined;
  rememberDesiredState(deviceId: string, entry: DesiredStateEntry, readAtGeneration: number): void;
  desiredStatesChanged(deviceIds: readonly string[] | "all"): void;
  credentialsChanged(deviceIds: readonly string[] | "all"): void;
  /**
   * After a commit that gave a device a new token: its old token is forgotten (as by
   * `credentialsChanged`) and the new digest is remembered at once — if nothing invalidated the
   * device's credentials since `readAtGeneration`, taken before that transaction began. (A rotation
   * that commits after ours may reach this process first; then neither token is kept.)
   */
  tokenReplaced(deviceId: string, digest: string, readAtGeneration: number): void;
  stats(): { tokens: number; desiredStates: number };
  /** Tells this cache's own NOTIFY messages from other replicas'. */
  readonly id: string;
  /** Most devices kept: a warmer stops filling here. */
  readonly capacity: number;
  /** Hear of every invalidation, after it is applied (the warmer refills from here). */
  onChange(listener: (kind: "desired" | "credentials", deviceIds: readonly string[] | "all") => void): () => void;
}

/** A strong ETag over the exact bytes of an answer. */
export const etagOf = (body: string) => `"${createHash("sha1").update(body).digest("base64url")}"`;

/** What the cache keeps for an answer of `agent.desiredState` (already through its output schema). */
export function desiredStateEntry(answer: unknown): DesiredStateEntry {
  const body = JSON.stringify(answer);
  return { body, etag: etagOf(body) };
}

export interface AgentCacheLimits {
  /** Most devices whose answers are kept (least recently polled go first). */
  maxDevices: number;
}

export function createAgentCache(limits: AgentCacheLimits = { maxDevices: 250_000 }): AgentCache {
  const deviceByDigest = new LRUCache<string, string>({
    max: limits.maxDevices,
    dispose: (deviceId, digest) => {
      if (digestByDevice.get(deviceId) === digest) digestByDevice.delete(deviceId);
    },
  });
  const digestByDevice = new Map<string, string>();
  const desired = new LRUCache<string, DesiredStateEntry>({ max: limits.maxDevices });
  let generation = 0;
  /** When each device's desired state / credentials were last invalidated, and when everything was. */
  const desiredChangedAt = new Map<string, number>();
  const credentialsChangedAt = new Map<string, number>();
  let allDesiredChangedAt = 0;
  let allCredentialsChangedAt = 0;
  const unchangedSince = (readAt: number, deviceId: string, changedAt: Map<string, number>, allChangedAt: number) =>
    readAt >= allChangedAt && readAt >= (changedAt.get(deviceId) ?? 0);
  const stamp = (deviceIds: readonly string[], changedAt: Map<string, number>) => {
    generation++;
    for (const deviceId of deviceIds) changedAt.set(deviceId, generation);
  };
  const listeners = new Set<(kind: "desired" | "credentials", deviceIds: readonly string[] | "all") => void>();
  const tell = (kind: "desired" | "credentials", deviceIds: readonly string[] | "all") => {
    for (const listener of listeners) listener(kind, deviceIds);
  };

  const credentialsChanged = (deviceIds: readonly string[] | "all", tellListeners = true) => {
    if (deviceIds === "all") {
      allCredentialsChangedAt = ++generation;
      credentialsChangedAt.clear();
      deviceByDigest.clear();
      digestByDevice.clear();
    } else {
      stamp(deviceIds, credentialsChangedAt);
      for (const deviceId of deviceIds) {
        const digest = digestByDevice.get(deviceId);
        if (digest) deviceByDigest.delete(digest);
        digestByDevice.delete(deviceId);
      }
    }
    if (tellListeners) tell("credentials", deviceIds);
  };

  return {
    deviceForToken: (digest) => deviceByDigest.get(digest),
    rememberToken(digest, deviceId, readAtGeneration) {
      if (!unchangedSince(readAtGeneration, deviceId, credentialsChangedAt, allCredentialsChangedAt)) return;
      deviceByDigest.set(digest, deviceId);
      digestByDevice.set(deviceId, digest);
    },
    desiredState: (deviceId) => desired.get(deviceId),
    generation: () => generation,
    rememberDesiredState(deviceId, entry, readAtGeneration) {
      if (unchangedSince(readAtGeneration, deviceId, desiredChangedAt, allDesiredChangedAt)) desired.set(deviceId, entry);
    },
    desiredStatesChanged(deviceIds) {
      if (deviceIds === "all") {
        allDesiredChangedAt = ++generation;
        desiredChangedAt.clear(); // older than the line just drawn under everything
        desired.clear();
      } else {
        stamp(deviceIds, desiredChangedAt);
        for (const deviceId of deviceIds) desired.delete(deviceId);
      }
      tell("desired", deviceIds);
    },
    tokenReplaced(deviceId, digest, readAtGeneration) {
      const unchanged = unchangedSince(readAtGeneration, deviceId, credentialsChangedAt, allCredentialsChangedAt);
      // Kept: nothing for the warmer to reload. Not kept: the warmer reads the device's token again.
      credentialsChanged([deviceId], !unchanged);
      if (!unchanged) return;
      deviceByDigest.set(digest, deviceId);
      digestByDevice.set(deviceId, digest);
    },
    credentialsChanged: (deviceIds) => credentialsChanged(deviceIds),
    stats: () => ({ tokens: deviceByDigest.size, desiredStates: desired.size }),
    id: randomUUID(),
    capacity: limits.maxDevices,
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
