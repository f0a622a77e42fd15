import { randomUUID } from "node:crypto";
import type { RolloutEvents } from "./rolloutEvents";

/**
 * Change notices across replicas. A live view on replica B must see the reports replica A
 * handled, the leader's controller must hear of a device finishing on a standby, and every
 * replica's delivery worker of new change-log events. Each replica emits its own notices locally
 * at once (as with one process) and publishes them, coalesced, on one PostgreSQL channel that
 * every replica listens to.
 *
 * Coalescing keeps the cost flat under load: reports arrive by the thousand per second, but a
 * replica sends at most one NOTIFY per `flushMs` (more only when the ids overflow a payload),
 * naming each changed rollout once. Notices are hints to read again, never data: one lost while a
 * listener was away is made good by `resync`, which wakes every live view and worker.
 */
export const ROLLOUT_NOTICE_CHANNEL = "signalbeam_rollouts";

export interface RolloutNotice {
  /** The publishing replica (its own notices are not applied twice). */
  origin: string;
  /** Rollouts whose live views should read again. */
  changed: string[];
  /** Staged rollouts the controller should look at. */
  wanted: string[];
  /** New change-log events were committed. */
  events: boolean;
}

/** NOTIFY payloads must stay under 8000 bytes; leave room for the envelope. */
const MAX_PAYLOAD_BYTES = 7_000;

/** Splits a notice into payloads that each fit a NOTIFY (ids are ASCII: one byte each). */
export function encodeRolloutNotices(notice: RolloutNotice): string[] {
  const payloads: string[] = [];
  let current: RolloutNotice = { origin: notice.origin, changed: [], wanted: [], events: notice.events };
  let size = JSON.stringify(current).length;
  const push = (list: "changed" | "wanted", id: string) => {
    const cost = id.length + 3; // quotes and a comma
    if (size + cost > MAX_PAYLOAD_BYTES) {
      payloads.push(JSON.stringify(current));
      current = { origin: notice.origin, changed: [], wanted: [], events: false };
      size = JSON.stringify(current).length;
    }
    current[list].push(id);
    size += cost;
  };
  for (const id of notice.changed) push("changed", id);
  for (const id of notice.wanted) push("wanted", id);
  payloads.push(JSON.stringify(current));
  return payloads;
}

export function decodeRolloutNotice(payload: string): RolloutNotice | undefined {
  try {
    const value = JSON.parse(payload) as Partial<RolloutNotice>;
    const ids = (list: unknown) => (Array.isArray(list) ? list.filter((id): id is string => typeof id === "string") : []);
    if (typeof value.origin !== "string") return undefined;
    return { origin: value.origin, changed: ids(value.changed), wanted: ids(value.wanted), events: value.events === true };
  } catch {
    return undefined;
  }
}

export interface SharedRolloutEvents extends RolloutEvents {
  /** A payload heard on `ROLLOUT_NOTICE_CHANNEL`. */
  receive(payload: string): void;
  /** The listener is back after a gap: notices may have been missed, so everything reads again. */
  resync(): void;
  /** Sends what is pending now (tests and shutdown). */
  flush(): Promise<void>;
  stop(): Promise<void>;
}

export interface ShareOptions {
  /** Sends one payload on `ROLLOUT_NOTICE_CHANNEL` (outside any transaction: notices follow commits). */
  publish: (payload: string) => Promise<void>;
  /** A failed publish loses only hints; say so and carry on. */
  onError: (error: unknown) => void;
  flushMs?: number;
  origin?: string;
}

export function shareRolloutEvents(local: RolloutEvents, options: ShareOptions): SharedRolloutEvents {
  const origin = options.origin ?? randomUUID();
  const flushMs = options.flushMs ?? 50;
  const changed = new Set<string>();
  const wanted = new Set<string>();
  let events = false;
  let timer: NodeJS.Timeout | undefined;
  let sending: Promise<void> = Promise.resolve();
  let stopped = false;

  const flush = async () => {
    clearTimeout(timer);
    timer = undefined;
    if (!changed.size && !wanted.size && !events) return sending;
    const notice: RolloutNotice = { origin, changed: [...changed], wanted: [...wanted], events };
    changed.clear();
    wanted.clear();
    events = false;
    // One flush at a time, in order.
    sending = sending.then(async () => {
      for (const payload of encodeRolloutNotices(notice)) await options.publish(payload).catch(options.onError);
    });
    return sending;
  };
  const arm = () => {
    if (!timer && !stopped) timer = setTimeout(() => void flush(), flushMs);
  };

  return {
    ...local,
    changed(rolloutId) {
      local.changed(rolloutId);
      changed.add(rolloutId);
      arm();
    },
    controllerWanted(rolloutId) {
      local.controllerWanted(rolloutId);
      wanted.add(rolloutId);
      arm();
    },
    eventsCommitted() {
      local.eventsCommitted();
      events = true;
      arm();
    },
    receive(payload) {
      const notice = decodeRolloutNotice(payload);
      if (!notice || notice.origin === origin) return;
      for (const id of notice.changed) local.changed(id);
      for (const id of notice.wanted) local.controllerWanted(id);
      if (notice.events) local.eventsCommitted();
    },
    resync() {
      local.everythingChanged();
      local.eventsCommitted();
    },
    flush,
    async stop() {
      await flush();
      stopped = true;
    },
  };
}
