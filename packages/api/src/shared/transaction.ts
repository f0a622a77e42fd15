import type { Database, Kysely, Transaction } from "@signalbeam/db";
import { isRetryableTransactionError } from "./errors";

/**
 * Runs `work` in one transaction, retrying it from the start on a deadlock or serialization
 * failure. Lock order (rollouts before desired states before status rows) makes those rare; the
 * retry makes them harmless.
 */
export async function inTransaction<T>(
  db: Kysely<Database>,
  work: (tx: Transaction<Database>) => Promise<T>,
  maxAttempts = 5,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction().execute(work);
    } catch (error) {
      if (attempt >= maxAttempts || !isRetryableTransactionError(error)) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 20 * attempt));
    }
  }
}
