import { type DatabaseHandle, openDatabase, sql } from "@signalbeam/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withoutNestedLoops } from "../src/shared/bulkJoin";

/** The planner setting a bulk statement runs under, and what the rest of its transaction gets back (embedded PostgreSQL). */
describe("withoutNestedLoops", () => {
  let handle: DatabaseHandle;
  beforeAll(async () => {
    handle = await openDatabase({ dataDir: "memory://" });
  });
  afterAll(() => handle?.close());

  const setting = async (db: Parameters<typeof withoutNestedLoops>[0]) =>
    (await sql<{ value: string }>`SELECT current_setting('enable_nestloop') AS value`.execute(db)).rows[0]!.value;

  it.each([["on"], ["off"]])("turns nested loops off for the statement only (the transaction had them %s)", async (before) => {
    await handle.db.transaction().execute(async (tx) => {
      await sql`SELECT set_config('enable_nestloop', ${before}, true)`.execute(tx);
      expect(await withoutNestedLoops(tx, () => setting(tx))).toBe("off");
      expect(await setting(tx)).toBe(before);
    });
  });

  it("puts the setting back when the statement fails", async () => {
    await handle.db.transaction().execute(async (tx) => {
      await expect(withoutNestedLoops(tx, () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
      expect(await setting(tx)).toBe("on");
    });
  });
});
