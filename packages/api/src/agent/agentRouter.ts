import type { TRPCRouterRecord } from "@trpc/server";
import { deviceIdInput, heartbeatInput, heartbeatOutput } from "../devices/deviceSchemas";
import { authorizeAgent } from "../auth/principal";
import { recordHeartbeat } from "../devices/heartbeat";
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
      authorizeAgent(ctx.principal, input.deviceId);
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
      authorizeAgent(ctx.principal, input.deviceId);
      const row = await ctx.reportBatcher.submit(input);
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
      authorizeAgent(ctx.principal, input.deviceId);
      const seenAt = await recordHeartbeat(ctx, input);
      return { deviceId: input.deviceId, lastSeenAt: iso(seenAt) };
    }),
} satisfies TRPCRouterRecord;
