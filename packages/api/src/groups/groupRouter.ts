import type { TRPCRouterRecord } from "@trpc/server";
import { pageOffset, toPage } from "../shared/pagination";
import { iso } from "../shared/schemas";
import { createGroup, setGroupDevices } from "./groupWrites";
import { operatorProcedure, viewerProcedure } from "../trpc";
import {
  createGroupInput,
  groupWithMembersSchema,
  listGroupsInput,
  listGroupsOutput,
  setGroupDevicesInput,
} from "./groupSchemas";

const tags = ["groups"];

export const groupRouter = {
  create: operatorProcedure
    .meta({ openapi: { method: "POST", path: "/groups", tags, summary: "Create a device group" }, successStatus: 201 })
    .input(createGroupInput)
    .output(groupWithMembersSchema)
    .mutation(({ ctx, input }) => createGroup(ctx, input)),

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
    .mutation(({ ctx, input }) => setGroupDevices(ctx, input)),
} satisfies TRPCRouterRecord;
