import type { Database, Transaction } from "@signalbeam/db";
import { sql } from "@signalbeam/db";

/**
 * Runs a bulk statement with nested-loop joins turned off (for this transaction, until it returns).
 *
 * Why: a rollout created moments ago is unknown to the planner's statistics, so any predicate on
 * its id is estimated at a row or two. For a join that is the one thing that makes a nested loop
 * look cheapest — and when the "one row" is 100,000, a nested loop whose inner side is not an exact
 * index lookup (a CTE scan, or an index that matches only a prefix) is quadratic: the benchmark saw
 * a 100,000-device cancel take 197 s. Hash and merge joins cost about the same whatever the
 * estimate, so these statements always take them. Small rollouts lose nothing measurable.
 */
export async function withoutNestedLoops<T>(tx: Transaction<Database>, statement: () => Promise<T>): Promise<T> {
  const { rows } = await sql<{ setting: string }>`SELECT current_setting('enable_nestloop') AS setting`.execute(tx);
  await sql`SELECT set_config('enable_nestloop', 'off', true)`.execute(tx);
  try {
    return await statement();
  } finally {
    // Back to what it was, for the rest of the transaction.
    await sql`SELECT set_config('enable_nestloop', ${rows[0]!.setting}, true)`.execute(tx);
  }
}
