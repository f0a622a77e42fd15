import { EventEmitter } from "node:events";

/**
 * In-process notices that a rollout changed (created, a device reported, cancelled, retried),
 * emitted after the transaction commits. Live views subscribe to them. With several server
 * replicas, `shareRolloutEvents` carries them to the others through PostgreSQL NOTIFY.
 */
export interface RolloutEvents {
  changed(rolloutId: string): void;
  /** Every open live view reads again (after a gap in which changes may have been missed). */
  everythingChanged(): void;
  /** A staged rollout needs the policy controller (a device finished, a manager acted). */
  controllerWanted(rolloutId: string): void;
  /** The controller's subscription to `controllerWanted` (one per process); returns the unsubscribe. */
  onControllerWanted(listener: (rolloutId: string) => void): () => void;
  /** After a commit that wrote change-log events: integrations have something to send. */
  eventsCommitted(): void;
  onEventsCommitted(listener: () => void): () => void;
  /** Yields each time the rollout changes, at most once per `coalesceMs`, until `signal` aborts. */
  watch(rolloutId: string, signal: AbortSignal, coalesceMs?: number): AsyncGenerator<void>;
}

/** A symbol, so no rollout id can collide with it. */
const CONTROLLER = Symbol("controller");
const EVENTS_COMMITTED = Symbol("eventsCommitted");

export function createRolloutEvents(): RolloutEvents {
  const emitter = new EventEmitter();
  emitter.setMaxListeners(0); // one listener per open rollout page
  return {
    changed(rolloutId) {
      emitter.emit(rolloutId);
    },
    everythingChanged() {
      for (const name of emitter.eventNames()) if (typeof name === "string") emitter.emit(name);
    },
    controllerWanted(rolloutId) {
      emitter.emit(CONTROLLER, rolloutId);
    },
    eventsCommitted() {
      emitter.emit(EVENTS_COMMITTED);
    },
    onEventsCommitted(listener) {
      emitter.on(EVENTS_COMMITTED, listener);
      return () => emitter.off(EVENTS_COMMITTED, listener);
    },
    onControllerWanted(listener) {
      emitter.on(CONTROLLER, listener);
      return () => emitter.off(CONTROLLER, listener);
    },
    async *watch(rolloutId, signal, coalesceMs = 250) {
      // A flag, not a queue: a burst of agent reports becomes one update for the page.
      let dirty = false;
      let wake: (() => void) | undefined;
      const listener = () => {
        dirty = true;
        wake?.();
      };
      const onAbort = () => wake?.();
      emitter.on(rolloutId, listener);
      signal.addEventListener("abort", onAbort);
      try {
        while (!signal.aborted) {
          if (!dirty) await new Promise<void>((resolve) => (wake = resolve));
          wake = undefined;
          if (signal.aborted) return;
          dirty = false;
          yield;
          await new Promise((resolve) => setTimeout(resolve, coalesceMs));
        }
      } finally {
        emitter.off(rolloutId, listener);
        signal.removeEventListener("abort", onAbort);
      }
    },
  };
}
