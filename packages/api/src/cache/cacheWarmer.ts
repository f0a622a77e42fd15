import type { Database, Kysely } from "@signalbeam/db";
import { desiredStateSchema } from "../agent/agentSchemas";
import { readDesiredStates } from "../agent/desiredStateRepository";
import { type AgentCache, desiredStateEntry } from "./agentCache";

/**
 * Keeps the agent cache full instead of letting each device's first poll pay for it. On start it
 * loads every device's token digest and desired-state answer (up to the cache's capacity), a few
 * thousand per statement; after every invalidation it reloads what was invalidated. So when a
 * rollout changes 100,000 desired states, the agents' next polls are answered from memory rather
 * than by 100,000 pairs of single-row queries arriving at once.
 *
 * Only an optimisation: a poll that finds nothing cached still reads the database, and the cache's
 * generation check drops a batch that overlapped a newer invalidation (those devices stay cold).
 * The answers are the procedure's own: `readDesiredStates` is what `agent.desiredState` calls, and
 * each is put through the procedure's output schema before it is serialised.
 */
export interface CacheWarmer {
  /** Begin loading everything; refills follow invalidations from then on. */
  start(): void;
  /** Resolves when nothing is waiting to be loaded (tests, benchmarks). */
  idle(): Promise<void>;
  /** Stop refilling; resolves once the batch in flight has finished. */
  stop(): Promise<void>;
  /**
   * When this device's desired state is queued or being loaded: a promise that settles once its
   * batch is done (loaded or failed). A poll that finds nothing cached waits for that one query
   * for thousands of devices rather than adding its own — right after a rollout invalidates
   * 10,000 devices, their polls would otherwise pile up thousands of single-row queries (and the
   * requests waiting on them) in front of the very batches that would answer them.
   */
  loading(deviceId: string): Promise<void> | undefined;
}

export interface CacheWarmerOptions {
  db: Kysely<Database>;
  cache: AgentCache;
  /** Rows per statement. */
  batchSize?: number;
  onError?: (error: unknown) => void;
}

type Pending = Set<string> | "all" | undefined;

const merge = (pending: Pending, devices: readonly string[] | "all"): Pending => {
  if (pending === "all" || devices === "all") return "all";
  const next = pending ?? new Set<string>();
  for (const device of devices) next.add(device);
  return next;
};

export function createCacheWarmer(options: CacheWarmerOptions): CacheWarmer {
  const { db, cache } = options;
  const batchSize = options.batchSize ?? 2_000;
  let desired: Pending;
  /** The desired states the pass in progress is loading. */
  let loadingDesired: Pending;
  let credentials: Pending;
  const waiters = new Map<string, { promise: Promise<void>; resolve: () => void }>();
  const release = (deviceIds: Iterable<string> | "all") => {
    const ids = deviceIds === "all" ? [...waiters.keys()] : deviceIds;
    for (const id of ids) {
      waiters.get(id)?.resolve();
      waiters.delete(id);
    }
  };
  let running: Promise<void> | undefined;
  let stopped = true;
  let unsubscribe: (() => void) | undefined;

  const storeDesired = async (selection: Parameters<typeof readDesiredStates>[1]) => {
    const generation = cache.generation();
    let answers: Awaited<ReturnType<typeof readDesiredStates>> = [];
    try {
      answers = await readDesiredStates(db, selection);
      for (const answer of answers) {
        cache.rememberDesiredState(answer.deviceId, desiredStateEntry(desiredStateSchema.parse(answer)), generation);
      }
      return answers;
    } finally {
      // Listed devices are done whatever was found; a page of "everything" is done for what it held.
      release("deviceIds" in selection ? selection.deviceIds : answers.map((answer) => answer.deviceId));
    }
  };

  const storeTokens = async (selection: { deviceIds: readonly string[] } | { after: string | null }) => {
    const generation = cache.generation();
    let query = db.selectFrom("devices").select(["id", "token_hash"]).where("token_hash", "is not", null);
    if ("deviceIds" in selection) query = query.where("id", "in", selection.deviceIds);
    else {
      if (selection.after !== null) query = query.where("id", ">", selection.after);
      query = query.orderBy("id").limit(batchSize);
    }
    const rows = await query.execute();
    for (const row of rows) if (row.token_hash) cache.rememberToken(row.token_hash, row.id, generation);
    return rows;
  };

  const loadEverything = async (load: (after: string | null) => Promise<{ id: string }[]>) => {
    let after: string | null = null;
    for (let loaded = 0; !stopped && loaded < cache.capacity;) {
      const rows = await load(after);
      loaded += rows.length;
      if (rows.length < batchSize) return;
      after = rows[rows.length - 1]!.id;
    }
  };

  const loadListed = async (devices: Set<string>, load: (ids: string[]) => Promise<unknown>) => {
    const ids = [...devices];
    for (let start = 0; !stopped && start < ids.length; start += batchSize) await load(ids.slice(start, start + batchSize));
  };

  const drain = async () => {
    while (!stopped && (credentials || desired)) {
      const tokens = credentials;
      const states = desired;
      credentials = undefined;
      desired = undefined;
      loadingDesired = states;
      try {
        if (tokens === "all") await loadEverything((after) => storeTokens({ after }));
        else if (tokens) await loadListed(tokens, (deviceIds) => storeTokens({ deviceIds }));
        if (states === "all")
          await loadEverything(async (after) =>
            (await storeDesired({ after, limit: batchSize })).map((answer) => ({ id: answer.deviceId })),
          );
        else if (states) await loadListed(states, (deviceIds) => storeDesired({ deviceIds }));
      } catch (error) {
        options.onError?.(error); // what failed stays uncached: polls read it from the database
      } finally {
        loadingDesired = undefined;
        // Whoever still waits (a device with no row, a failed batch) reads the database now.
        if (!desired) release("all");
      }
    }
  };

  const kick = () => {
    if (stopped || running) return;
    running = drain().finally(() => {
      running = undefined;
      if (!stopped && (credentials || desired)) kick();
    });
  };

  return {
    start() {
      if (!stopped) return;
      stopped = false;
      unsubscribe = cache.onChange((kind, devices) => {
        if (kind === "desired") desired = merge(desired, devices);
        else credentials = merge(credentials, devices);
        kick();
      });
      credentials = "all";
      desired = "all";
      kick();
    },
    async idle() {
      while (running) await running;
    },
    async stop() {
      stopped = true;
      unsubscribe?.();
      await running;
      release("all");
    },
    loading(deviceId) {
      if (stopped) return undefined;
      const queued = (pending: Pending) => pending === "all" || (pending !== undefined && pending.has(deviceId));
      if (!queued(desired) && !queued(loadingDesired)) return undefined;
      let waiter = waiters.get(deviceId);
      if (!waiter) {
        let resolve!: () => void;
        const promise = new Promise<void>((done) => (resolve = done));
        waiter = { promise, resolve };
        waiters.set(deviceId, waiter);
      }
      return waiter.promise;
    },
  };
}
