import type { Database, Transaction } from "@signalbeam/db";
import { sql } from "@signalbeam/db";
import type { z } from "zod";
import type { Deps } from "../deps";
import { assertKnownDevices, dedupe } from "../rollouts/resolveTargets";
import { DomainError, notFound } from "../shared/errors";
import { inTransaction } from "../shared/transaction";
import type { createGroupInput, setGroupDevicesInput } from "./groupSchemas";

/** Replaces a group's members; unknown device ids are a 422 that lists them. */
async function replaceMembers(tx: Transaction<Database>, groupId: string, deviceIds: string[]): Promise<void> {
  await assertKnownDevices(tx, deviceIds);
  await tx.deleteFrom("group_members").where("group_id", "=", groupId).execute();
  if (deviceIds.length)
    await sql`
      INSERT INTO group_members (group_id, device_id) SELECT ${groupId}, unnest(${deviceIds}::text[])
    `.execute(tx);
}

const membersOf = async (tx: Transaction<Database>, groupId: string) =>
  (await tx.selectFrom("group_members").select("device_id").where("group_id", "=", groupId).orderBy("device_id").execute()).map(
    (row) => row.device_id,
  );

/** A new group with its members (names are unique); a rollout expands it when it is created. */
export const createGroup = (deps: Pick<Deps, "db" | "clock">, input: z.infer<typeof createGroupInput>) =>
  inTransaction(deps.db, async (tx) => {
    const group = await tx
      .insertInto("device_groups")
      .values({ name: input.name, created_at: deps.clock() })
      .onConflict((conflict) => conflict.column("name").doNothing())
      .returning(["id", "name"])
      .executeTakeFirst();
    if (!group) throw new DomainError("CONFLICT", `name: a group named "${input.name}" already exists`, { field: "name" });
    await replaceMembers(tx, group.id, dedupe(input.deviceIds ?? []));
    return { id: group.id, name: group.name, deviceIds: await membersOf(tx, group.id) };
  });

/** Replaces the members; rollouts created before keep the devices they expanded to. */
export const setGroupDevices = (deps: Pick<Deps, "db">, input: z.infer<typeof setGroupDevicesInput>) =>
  inTransaction(deps.db, async (tx) => {
    const group = await tx
      .selectFrom("device_groups")
      .select(["id", "name"])
      .where("id", "=", input.groupId)
      .forUpdate()
      .executeTakeFirst();
    if (!group) throw notFound("group", input.groupId);
    await replaceMembers(tx, group.id, dedupe(input.deviceIds));
    return { id: group.id, name: group.name, deviceIds: await membersOf(tx, group.id) };
  });
