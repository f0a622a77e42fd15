import type { TRPCRouterRecord } from "@trpc/server";
import { deviceIdInput, heartbeatInput, heartbeatOutput } from "../devices/deviceSchemas";
import { reportDeviceStatus } from "../rollouts/reportDeviceStatus";
import { assertActsFor } from "../auth/principal";
import { iso, isoOrNull } from "../shared/schemas";
import { deviceProcedure } from "../trpc";
import { desiredStateSchema, deviceRolloutStatusSchema, reportStatusInput } from "./agentSchemas";
import { readDesiredState } from "./desiredStateRepository";

const tags = ["agent"];
const protect = true;

export const agentRouter = {
  desiredState: deviceProcedure
    .meta({
      openapi: {
        method: "GET",
        path: "/devices/{deviceId}/desired-state",
        tags,
        protect,
        summary: "What this device should run",
      },
    })
    .input(deviceIdInput)
    .output(desiredStateSchema)
    .query(async ({ ctx, input }) => {
      assertActsFor(ctx.principal, input.deviceId);
      return readDesiredState(ctx.db, input.deviceId);
    }),

  reportStatus: deviceProcedure
    .meta({
      openapi: {
        method: "PUT",
        path: "/rollouts/{rolloutId}/status",
        tags,
        protect,
        summary: "Report this device's progress in a rollout",
      },
    })
    .input(reportStatusInput)
    .output(deviceRolloutStatusSchema)
    .mutation(async ({ ctx, input }) => {
      assertActsFor(ctx.principal, input.deviceId);
      const row = ctx.reportBatcher ? await ctx.reportBatcher.submit(input) : await reportDeviceStatus(ctx, input);
      ctx.events?.changed(input.rolloutId);
      return {
        rolloutId: row.rollout_id,
        deviceId: row.device_id,
        status: row.status,
        startedAt: isoOrNull(row.started_at),
        completedAt: isoOrNull(row.completed_at),
        errorMessage: row.error_message,
      };
    }),

  heartbeat: deviceProcedure
    .meta({
      openapi: {
        method: "POST",
        path: "/devices/{deviceId}/heartbeat",
        tags,
        protect,
        summary: "Tell the server this device is alive and what it runs",
      },
    })
    .input(heartbeatInput)
    .output(heartbeatOutput)
    .mutation(async ({ ctx, input }) => {
      assertActsFor(ctx.principal, input.deviceId);
      const now = ctx.clock();
      await ctx.db
        .updateTable("devices")
        .set({
          last_seen_at: now,
          ...(input.bundleId !== undefined ? { reported_bundle_id: input.bundleId } : {}),
          ...(input.version !== undefined ? { reported_version: input.version } : {}),
          ...(input.agentVersion !== undefined ? { agent_version: input.agentVersion } : {}),
        })
        .where("id", "=", input.deviceId)
        .execute();
      return { deviceId: input.deviceId, lastSeenAt: iso(now) };
    }),
} satisfies TRPCRouterRecord;
