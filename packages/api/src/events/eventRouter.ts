import type { TRPCRouterRecord } from "@trpc/server";
import type { ChangeEventType } from "../shared/changeLog";
import { iso } from "../shared/schemas";
import { viewerProcedure } from "../trpc";
import { listEventsInput, listEventsOutput } from "./eventSchemas";

export const eventRouter = {
  list: viewerProcedure
    .meta({
      openapi: {
        method: "GET",
        path: "/events",
        tags: ["events"],
        summary: "The change log, oldest first: page with after=<nextAfter> to catch up after downtime",
      },
    })
    .input(listEventsInput)
    .output(listEventsOutput)
    .query(async ({ ctx, input }) => {
      let query = ctx.db
        .selectFrom("change_events")
        .selectAll()
        // Ids are handed out in commit order (see CHANGE_LOG_LOCK): once an id is visible, no lower
        // one can appear later, so a reader paging by id never skips an event.
        .where("id", ">", String(input.after));
      if (input.type?.endsWith(".*")) query = query.where("type", "like", `${input.type.slice(0, -1)}%`);
      else if (input.type) query = query.where("type", "=", input.type);
      if (input.rolloutId) query = query.where("rollout_id", "=", input.rolloutId);
      const rows = await query.orderBy("id").limit(input.limit).execute();
      const data = rows.map((row) => ({
        id: Number(row.id),
        type: row.type as ChangeEventType,
        at: iso(row.at),
        rolloutId: row.rollout_id,
        deviceId: row.device_id,
        actor: row.actor,
        data: row.data,
      }));
      return { data, nextAfter: data.length ? data[data.length - 1]!.id : input.after };
    }),
} satisfies TRPCRouterRecord;
