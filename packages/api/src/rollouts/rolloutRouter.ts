import type { RolloutRow } from "@signalbeam/db";
import type { TRPCRouterRecord } from "@trpc/server";
import { z } from "zod";
import { actorOf } from "../audit/auditLog";
import type { Deps } from "../deps";
import { operatorProcedure, viewerProcedure } from "../trpc";
import { pageInfo, toPage } from "../shared/pagination";
import { isoOrNull } from "../shared/schemas";
import { cancelRollout } from "./cancelRollout";
import { createRollout } from "./createRollout";
import { planRollout } from "./planRollout";
import { retryRollout } from "./retryRollout";
import { rolloutHistory } from "./rolloutHistory";
import { rollbackRollout } from "./rollbackRollout";
import { advanceRollout, pauseRollout, resumeRollout } from "./rolloutControls";
import { findRollout, listRolloutDevices, listRollouts, toRolloutDto } from "./rolloutRepository";
import {
  createRolloutInput,
  createRolloutOutput,
  planRolloutOutput,
  listRolloutsInput,
  listRolloutsOutput,
  rolloutByIdInput,
  rolloutDevicesInput,
  rolloutDevicesOutput,
  rollbackOutput,
  rolloutHistoryOutput,
  rolloutIdInput,
  rolloutSchema,
  type DeviceSort,
} from "./rolloutSchemas";

const tags = ["rollouts"];

/** Rollouts as the API answers them: with their target lists (from the cache), or in summary form. */
async function rolloutDtos(deps: Pick<Deps, "db" | "targetLists">, rows: RolloutRow[], targets: "full" | "summary") {
  if (targets === "summary") return rows.map((row) => toRolloutDto(row));
  const lists = await deps.targetLists.get(
    deps.db,
    rows.map((row) => row.id),
  );
  return rows.map((row) => toRolloutDto(row, lists.get(row.id)?.ids ?? []));
}

/** A manager's control of a staged rollout (pause, resume, advance): POST, audited, answers the rollout. */
const control = (
  action: (deps: Deps, actor: ReturnType<typeof actorOf>, rolloutId: string) => Promise<RolloutRow>,
  verb: string,
  summary: string,
) =>
  operatorProcedure
    .meta({ openapi: { method: "POST", path: `/rollouts/{rolloutId}/${verb}`, tags, summary } })
    .input(rolloutIdInput)
    .output(rolloutSchema)
    .mutation(
      async ({ ctx, input }) =>
        (await rolloutDtos(ctx, [await action(ctx, actorOf(ctx.principal), input.rolloutId)], "summary"))[0]!,
    );

export const rolloutRouter = {
  create: operatorProcedure
    .meta({
      openapi: { method: "POST", path: "/rollouts", tags, summary: "Create a rollout of a bundle version to devices or groups" },
      successStatus: 201,
    })
    .input(createRolloutInput)
    .output(createRolloutOutput)
    .mutation(async ({ ctx, input }) => {
      const { rollout, targetIds } = await createRollout(ctx, actorOf(ctx.principal), input);
      const { id, ...rest } = toRolloutDto(rollout, targetIds);
      return { ...rest, rolloutId: id, targetIds };
    }),

  plan: operatorProcedure
    .meta({
      openapi: {
        method: "POST",
        path: "/rollouts/plan",
        tags,
        summary: "Check a rollout as POST /rollouts would and show each wave's devices, creating nothing",
      },
    })
    .input(createRolloutInput)
    .output(planRolloutOutput)
    .mutation(({ ctx, input }) => planRollout(ctx, input)),

  list: viewerProcedure
    .meta({ openapi: { method: "GET", path: "/rollouts", tags, summary: "List rollouts, newest first" } })
    .input(listRolloutsInput)
    .output(listRolloutsOutput)
    .query(async ({ ctx, input }) => {
      const { rows, totalCount } = await listRollouts(ctx.db, input, input);
      return toPage(await rolloutDtos(ctx, rows, input.targets), input, totalCount);
    }),

  byId: viewerProcedure
    .meta({ openapi: { method: "GET", path: "/rollouts/{rolloutId}", tags, summary: "Get a rollout with its progress" } })
    .input(rolloutByIdInput)
    .output(rolloutSchema)
    .query(async ({ ctx, input }) => (await rolloutDtos(ctx, [await findRollout(ctx.db, input.rolloutId)], input.targets))[0]!),

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
          wave: row.wave,
          nextAttemptAt: isoOrNull(row.next_attempt_at),
        })),
        ...pageInfo(input, totalCount),
      };
    }),

  history: viewerProcedure
    .meta({
      openapi: {
        method: "GET",
        path: "/rollouts/{rolloutId}/history",
        tags,
        summary: "Succeeded and failed devices over time (cumulative, at most 60 points)",
      },
    })
    .input(rolloutIdInput)
    .output(rolloutHistoryOutput)
    .query(async ({ ctx, input }) => {
      const rollout = await findRollout(ctx.db, input.rolloutId);
      return { rolloutId: rollout.id, ...(await rolloutHistory(ctx.db, rollout)) };
    }),

  cancel: operatorProcedure
    .meta({
      openapi: { method: "POST", path: "/rollouts/{rolloutId}/cancel", tags, summary: "Cancel pending and updating devices" },
      successStatus: 204,
    })
    .input(rolloutIdInput)
    .output(z.void())
    .mutation(async ({ ctx, input }) => {
      await cancelRollout(ctx, actorOf(ctx.principal), input.rolloutId);
    }),

  retry: operatorProcedure
    .meta({
      openapi: {
        method: "POST",
        path: "/rollouts/{rolloutId}/retry",
        tags,
        summary: "Retry the failed devices that no newer rollout has taken",
      },
    })
    .input(rolloutIdInput)
    .output(rolloutSchema)
    .mutation(
      async ({ ctx, input }) =>
        (await rolloutDtos(ctx, [await retryRollout(ctx, actorOf(ctx.principal), input.rolloutId)], "full"))[0]!,
    ),

  pause: control(pauseRollout, "pause", "Stop releasing devices of a staged rollout (released ones carry on); 409 unless active"),
  resume: control(
    resumeRollout,
    "resume",
    "Release devices again; the failure threshold counts afresh from now; 409 unless paused",
  ),
  advance: control(
    advanceRollout,
    "advance",
    "Start the next wave now, skipping its gate, soak and approval (windows and rate still apply)",
  ),

  rollback: operatorProcedure
    .meta({
      openapi: {
        method: "POST",
        path: "/rollouts/{rolloutId}/rollback",
        tags,
        summary: "Cancel the rollout and send the devices that started it back to their previous versions",
      },
      successStatus: 201,
    })
    .input(rolloutIdInput)
    .output(rollbackOutput)
    .mutation(async ({ ctx, input }) => {
      const result = await rollbackRollout(ctx, actorOf(ctx.principal), input.rolloutId);
      return {
        rollouts: result.rollouts.map((created) => toRolloutDto(created.rollout, created.targetIds)),
        untouchedDeviceIds: result.untouchedDeviceIds,
      };
    }),

  /** Live view: an event each time the rollout changes (server-sent events over /trpc). */
  onChange: viewerProcedure.input(rolloutIdInput).subscription(async function* ({ ctx, input, signal }) {
    if (!signal) return;
    for await (const _ of ctx.events.watch(input.rolloutId, signal)) yield { rolloutId: input.rolloutId };
  }),
} satisfies TRPCRouterRecord;
