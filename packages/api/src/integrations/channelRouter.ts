import type { TRPCRouterRecord } from "@trpc/server";
import { z } from "zod";
import { actorOf } from "../audit/auditLog";
import { adminProcedure } from "../trpc";
import {
  channelIdInput,
  channelPage,
  channelSchema,
  createChannelInput,
  deliveryPage,
  deliverySchema,
  listChannelDeliveriesInput,
  listIntegrationsInput,
  updateChannelInput,
} from "./integrationSchemas";
import {
  channelOf,
  CHANNELS,
  createIntegration,
  deleteIntegration,
  getIntegration,
  listDeliveries,
  listIntegrations,
  sendTest,
  updateIntegration,
} from "./integrationStore";

const tags = ["notification-channels"];

/** Slack-compatible incoming webhooks and email, for people: a readable summary with a dashboard link. */
export const channelRouter = {
  create: adminProcedure
    .meta({
      openapi: {
        method: "POST",
        path: "/notification-channels",
        tags,
        summary: "Send a Slack-compatible message or an email for these events",
      },
      successStatus: 201,
    })
    .input(createChannelInput)
    .output(channelSchema)
    .mutation(async ({ ctx, input }) => channelOf(await createIntegration(ctx, actorOf(ctx.principal), input))),

  list: adminProcedure
    .meta({
      openapi: { method: "GET", path: "/notification-channels", tags, summary: "Notification channels with their health" },
    })
    .input(listIntegrationsInput)
    .output(channelPage)
    .query(async ({ ctx, input }) => {
      const page = await listIntegrations(ctx.db, CHANNELS, input, ctx.clock());
      return { ...page, data: page.data.map(channelOf) };
    }),

  get: adminProcedure
    .meta({ openapi: { method: "GET", path: "/notification-channels/{channelId}", tags, summary: "One notification channel" } })
    .input(channelIdInput)
    .output(channelSchema)
    .query(async ({ ctx, input }) => channelOf(await getIntegration(ctx.db, CHANNELS, input.channelId, ctx.clock()))),

  update: adminProcedure
    .meta({
      openapi: {
        method: "PATCH",
        path: "/notification-channels/{channelId}",
        tags,
        summary: "Change a channel's target, events, description or enabled",
      },
    })
    .input(updateChannelInput)
    .output(channelSchema)
    .mutation(async ({ ctx, input }) => {
      const { channelId, ...patch } = input;
      return channelOf(await updateIntegration(ctx, actorOf(ctx.principal), CHANNELS, channelId, patch));
    }),

  delete: adminProcedure
    .meta({
      openapi: {
        method: "DELETE",
        path: "/notification-channels/{channelId}",
        tags,
        summary: "Delete a channel and its delivery log",
      },
      successStatus: 204,
    })
    .input(channelIdInput)
    .output(z.void())
    .mutation(async ({ ctx, input }) => deleteIntegration(ctx, actorOf(ctx.principal), CHANNELS, input.channelId)),

  test: adminProcedure
    .meta({
      openapi: {
        method: "POST",
        path: "/notification-channels/{channelId}/test",
        tags,
        summary: "Send a test message now and answer with the result",
      },
    })
    .input(channelIdInput)
    .output(deliverySchema)
    .mutation(async ({ ctx, input }) => sendTest(ctx, CHANNELS, input.channelId)),

  deliveries: adminProcedure
    .meta({
      openapi: {
        method: "GET",
        path: "/notification-channels/{channelId}/deliveries",
        tags,
        summary: "The delivery log, newest first",
      },
    })
    .input(listChannelDeliveriesInput)
    .output(deliveryPage)
    .query(async ({ ctx, input }) => listDeliveries(ctx.db, CHANNELS, input.channelId, input)),
} satisfies TRPCRouterRecord;
