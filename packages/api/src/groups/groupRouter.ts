import type { Database, Transaction } from "@signalbeam/db";
import { sql } from "@signalbeam/db";
import type { TRPCRouterRecord } from "@trpc/server";
import { assertKnownDevices, dedupe } from "../rollouts/resolveTargets";
import { DomainError, notFound } from "../shared/errors";
import { pageOffset, toPage } from "../shared/pagination";
import { iso } from "../shared/schemas";
import { inTransaction } from "../shared/transaction";
import { operatorProcedure, viewerProcedure } from "../trpc";
import {
  createGroupInput,
  groupWithMembersSchema,
  listGroupsInput,
  listGroupsOutput,
  setGroupDevicesInput,
} from "./groupSchemas";

const tags = ["groups"];

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

export const groupRouter = {
  create: operatorProcedure
    .meta({ openapi: { method: "POST", path: "/groups", tags, summary: "Create a device group" }, successStatus: 201 })
    .input(createGroupInput)
    .output(groupWithMembersSchema)
    .mutation(({ ctx, input }) =>
      inTransaction(ctx.db, async (tx) => {
        const group = await tx
          .insertInto("device_groups")
          .values({ name: input.name, created_at: ctx.clock() })
          .onConflict((conflict) => conflict.column("name").doNothing())
          .returning(["id", "name"])
          .executeTakeFirst();
        if (!group) throw new DomainError("CONFLICT", `name: a group named "${input.name}" already exists`, { field: "name" });
        await replaceMembers(tx, group.id, dedupe(input.deviceIds ?? []));
        return { id: group.id, name: group.name, deviceIds: await membersOf(tx, group.id) };
      }),
    ),

  list: viewerProcedure
    .meta({ openapi: { method: "GET", path: "/groups", tags, summary: "List device groups" } })
    .input(listGroupsInput)
    .output(listGroupsOutput)
    .query(async ({ ctx, input }) => {
      const [rows, count] = await Promise.all([
        ctx.db
          .selectFrom("device_groups as g")
          .select(["g.id", "g.name", "g.created_at"])
          .select((eb) =>
            eb
              .selectFrom("group_members as gm")
              .whereRef("gm.group_id", "=", "g.id")
              .select((inner) => inner.fn.countAll<number>().as("n"))
              .as("device_count"),
          )
          .orderBy("g.name")
          .limit(input.pageSize)
          .offset(pageOffset(input))
          .execute(),
        ctx.db
          .selectFrom("device_groups")
          .select((eb) => eb.fn.countAll<number>().as("count"))
          .executeTakeFirstOrThrow(),
      ]);
      return toPage(
        rows.map((row) => ({
          id: row.id,
          name: row.name,
          deviceCount: Number(row.device_count ?? 0),
          createdAt: iso(row.created_at),
        })),
        input,
        Number(count.count),
      );
    }),

  setDevices: operatorProcedure
    .meta({ openapi: { method: "PUT", path: "/groups/{groupId}/devices", tags, summary: "Replace a group's members" } })
    .input(setGroupDevicesInput)
    .output(groupWithMembersSchema)
    .mutation(({ ctx, input }) =>
      inTransaction(ctx.db, async (tx) => {
        const group = await tx
          .selectFrom("device_groups")
          .select(["id", "name"])
          .where("id", "=", input.groupId)
          .forUpdate()
          .executeTakeFirst();
        if (!group) throw notFound("group", input.groupId);
        await replaceMembers(tx, group.id, dedupe(input.deviceIds));
        return { id: group.id, name: group.name, deviceIds: await membersOf(tx, group.id) };
      }),
    ),
} satisfies TRPCRouterRecord;
