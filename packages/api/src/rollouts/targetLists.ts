import type { Database, Kysely } from "@signalbeam/db";
import { sql } from "@signalbeam/db";
import { LRUCache } from "lru-cache";

/**
 * Rollouts' `targetIds`, read from the database once per rollout and kept, parsed and serialized.
 * A rollout that lists 100,000 devices carries ~1 MB of ids; fetching, parsing, validating and
 * serializing them again on every read made such a rollout several times slower to read than a
 * group rollout. The list never changes after creation, so nothing ever invalidates an entry —
 * which also makes this safe across replicas. Bounded by the ids it holds (least recently read go
 * first).
 */
export interface TargetList {
  ids: readonly string[];
  /** `JSON.stringify(ids)` as UTF-8, made once: what a REST answer writes as it is. */
  json: Buffer;
}

export interface TargetListCache {
  /** The lists of these rollouts (rollouts that do not exist are absent). */
  get(db: Kysely<Database>, rolloutIds: readonly string[]): Promise<Map<string, TargetList>>;
  /** A rollout's list as its creation wrote it: no need to read it back. */
  remember(rolloutId: string, ids: readonly string[]): void;
}

const targetList = (ids: readonly string[]): TargetList => {
  const frozen = Object.freeze([...ids]);
  return { ids: frozen, json: Buffer.from(JSON.stringify(frozen)) };
};

export function createTargetListCache(limits: { maxIds: number } = { maxIds: 2_000_000 }): TargetListCache {
  const lists = new LRUCache<string, TargetList>({
    maxSize: limits.maxIds,
    sizeCalculation: (list) => Math.max(1, list.ids.length),
  });
  /** Reads in flight, so many readers of a rollout no one has read yet share one query. */
  const reading = new Map<string, Promise<TargetList | undefined>>();

  const read = (db: Kysely<Database>, missing: string[]): void => {
    const query = sql<{ id: string; target_ids: string }>`
      SELECT id, target_ids::text AS target_ids FROM rollouts WHERE id = ANY(${missing}::uuid[])
    `
      .execute(db)
      .then((result) => new Map(result.rows.map((row) => [row.id, targetList(JSON.parse(row.target_ids) as string[])])));
    for (const id of missing) {
      const one = query.then((found) => {
        const list = found.get(id);
        if (list && list.ids.length <= limits.maxIds) lists.set(id, list);
        return list;
      });
      reading.set(id, one);
      void one.finally(() => reading.delete(id)).catch(() => {});
    }
  };

  return {
    async get(db, rolloutIds) {
      const found = new Map<string, TargetList>();
      const missing = rolloutIds.filter((id) => {
        const list = lists.get(id);
        if (list) found.set(id, list);
        return !list && !reading.has(id);
      });
      if (missing.length) read(db, missing);
      // Taken before the first await: a read that settles meanwhile leaves `reading`.
      const waiting = rolloutIds.flatMap((id) => (found.has(id) ? [] : [[id, reading.get(id)] as const]));
      for (const [id, pending] of waiting) {
        const list = await pending;
        if (list) found.set(id, list);
      }
      return found;
    },
    remember(rolloutId, ids) {
      if (ids.length <= limits.maxIds) lists.set(rolloutId, targetList(ids));
    },
  };
}
