import type { TRPCRouterRecord } from "@trpc/server";
import { pageOffset, toPage } from "../shared/pagination";
import { iso } from "../shared/schemas";
import { viewerProcedure } from "../trpc";
import type { AuditAction, AuditTargetType } from "./auditLog";
import { listAuditInput, listAuditOutput } from "./auditSchemas";

export const auditRouter = {
  list: viewerProcedure
    .meta({
      openapi: {
        method: "GET",
        path: "/audit",
        tags: ["audit"],
        summary: "The audit trail, newest first: who created, cancelled and retried rollouts, managed users and keys",
      },
    })
    .input(listAuditInput)
    .output(listAuditOutput)
    .query(async ({ ctx, input }) => {
      let query = ctx.db.selectFrom("audit_events");
      if (input.targetType) query = query.where("target_type", "=", input.targetType);
      if (input.targetId) query = query.where("target_id", "=", input.targetId);
      if (input.action) query = query.where("action", "=", input.action);
      const [rows, count] = await Promise.all([
        query.selectAll().orderBy("id", "desc").limit(input.pageSize).offset(pageOffset(input)).execute(),
        query.select((eb) => eb.fn.countAll<string>().as("n")).executeTakeFirstOrThrow(),
      ]);
      return toPage(
        rows.map((row) => ({
          id: String(row.id),
          at: iso(row.at),
          actor: { type: row.actor_type, id: row.actor_id, name: row.actor_name },
          action: row.action as AuditAction,
          target: { type: row.target_type as AuditTargetType, id: row.target_id },
          details: row.details,
        })),
        input,
        Number(count.n),
      );
    }),
} satisfies TRPCRouterRecord;
