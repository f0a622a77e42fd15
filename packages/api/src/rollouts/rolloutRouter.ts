import type { TRPCRouterRecord } from "@trpc/server";
import { z } from "zod";
import { operatorProcedure, viewerProcedure } from "../trpc";
import { pageInfo, toPage } from "../shared/pagination";
import { isoOrNull } from "../shared/schemas";
import { cancelRollout } from "./cancelRollout";
import { createRollout } from "./createRollout";
import { retryRollout } from "./retryRollout";
import { findRollout, listRolloutDevices, listRollouts, toRolloutDto } from "./rolloutRepository";
import {
  createRolloutInput,
  createRolloutOutput,
  listRolloutsInput,
  listRolloutsOutput,
  rolloutDevicesInput,
  rolloutDevicesOutput,
  rolloutIdInput,
  rolloutSchema,
  type DeviceSort,
} from "./rolloutSchemas";

const tags = ["rollouts"];

export const rolloutRouter = {
  create: operatorProcedure
    .meta({
      openapi: { method: "POST", path: "/rollouts", tags, summary: "Create a rollout of a bundle version to devices or groups" },
      successStatus: 201,
    })
    .input(createRolloutInput)
    .output(createRolloutOutput)
    .mutation(async ({ ctx, input }) => {
      const { id, ...rest } = toRolloutDto(await createRollout(ctx, input));
      ctx.events?.changed(id);
      return {
        rolloutId: id,
        bundleId: rest.bundleId,
        version: rest.version,
        targetType: rest.targetType,
        targetIds: rest.targetIds,
        status: rest.status,
        progress: rest.progress,
        createdAt: rest.createdAt,
      };
    }),

  list: viewerProcedure
    .meta({ openapi: { method: "GET", path: "/rollouts", tags, summary: "List rollouts, newest first" } })
    .input(listRolloutsInput)
    .output(listRolloutsOutput)
    .query(async ({ ctx, input }) => {
      const { rows, totalCount } = await listRollouts(ctx.db, input, input);
      return toPage(rows.map(toRolloutDto), input, totalCount);
    }),

  byId: viewerProcedure
    .meta({ openapi: { method: "GET", path: "/rollouts/{rolloutId}", tags, summary: "Get a rollout with its progress" } })
    .input(rolloutIdInput)
    .output(rolloutSchema)
    .query(async ({ ctx, input }) => toRolloutDto(await findRollout(ctx.db, input.rolloutId))),

  devices: viewerProcedure
    .meta({
      openapi: { method: "GET", path: "/rollouts/{rolloutId}/devices", tags, summary: "Device-level status of a rollout" },
    })
    .input(rolloutDevicesInput)
    .output(rolloutDevicesOutput)
    .query(async ({ ctx, input }) => {
      // Independent reads, so side by side on two pooled connections (an unknown id finds no rows and then 404s).
      const [rollout, rows] = await Promise.all([
        findRollout(ctx.db, input.rolloutId),
        listRolloutDevices(ctx.db, input.rolloutId, input.status, input.sort as DeviceSort | undefined, input),
      ]);
      const totalCount = input.status ? rollout[input.status] : rollout.total;
      return {
        rolloutId: rollout.id,
        devices: rows.map((row) => ({
          deviceId: row.device_id,
          deviceName: row.device_name,
          status: row.status,
          startedAt: isoOrNull(row.started_at),
          completedAt: isoOrNull(row.completed_at),
          errorMessage: row.error_message,
          attempt: row.attempt,
        })),
        ...pageInfo(input, totalCount),
      };
    }),

  cancel: operatorProcedure
    .meta({
      openapi: { method: "POST", path: "/rollouts/{rolloutId}/cancel", tags, summary: "Cancel pending and updating devices" },
      successStatus: 204,
    })
    .input(rolloutIdInput)
    .output(z.void())
    .mutation(async ({ ctx, input }) => {
      await cancelRollout(ctx, input.rolloutId);
      ctx.events?.changed(input.rolloutId);
    }),

  retry: operatorProcedure
    .meta({ openapi: { method: "POST", path: "/rollouts/{rolloutId}/retry", tags, summary: "Retry the failed devices" } })
    .input(rolloutIdInput)
    .output(rolloutSchema)
    .mutation(async ({ ctx, input }) => {
      const rollout = toRolloutDto(await retryRollout(ctx, input.rolloutId));
      ctx.events?.changed(rollout.id);
      return rollout;
    }),

  /** Live view: an event each time the rollout changes (server-sent events over /trpc). */
  onChange: viewerProcedure.input(rolloutIdInput).subscription(async function* ({ ctx, input, signal }) {
    if (!ctx.events || !signal) return;
    for await (const _ of ctx.events.watch(input.rolloutId, signal)) yield { rolloutId: input.rolloutId };
  }),
} satisfies TRPCRouterRecord;
