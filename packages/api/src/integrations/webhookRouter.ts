import type { TRPCRouterRecord } from "@trpc/server";
import { z } from "zod";
import { actorOf } from "../audit/auditLog";
import { adminProcedure } from "../trpc";
import {
  createdWebhookSchema,
  createWebhookInput,
  deliveryPage,
  deliverySchema,
  listDeliveriesInput,
  listIntegrationsInput,
  redeliverInput,
  rotatedSecretSchema,
  updateWebhookInput,
  webhookIdInput,
  webhookPage,
  webhookSchema,
} from "./integrationSchemas";
import {
  createIntegration,
  deleteIntegration,
  getIntegration,
  listDeliveries,
  listIntegrations,
  redeliver,
  rotateSecret,
  sendTest,
  updateIntegration,
  WEBHOOK,
  webhookOf,
} from "./integrationStore";

const tags = ["webhooks"];

/** Signed webhooks (Standard Webhooks) for the change log's events; admin only: they carry fleet data out. */
export const webhookRouter = {
  create: adminProcedure
    .meta({
      openapi: {
        method: "POST",
        path: "/webhooks",
        tags,
        summary: "Subscribe a URL to events; the signing secret is returned this once",
      },
      successStatus: 201,
    })
    .input(createWebhookInput)
    .output(createdWebhookSchema)
    .mutation(async ({ ctx, input }) => {
      const { secret, ...created } = await createIntegration(ctx, actorOf(ctx.principal), {
        kind: "webhook",
        target: input.url,
        eventTypes: input.eventTypes,
        description: input.description,
        enabled: input.enabled,
      });
      return { ...webhookOf(created), secret: secret! };
    }),

  list: adminProcedure
    .meta({ openapi: { method: "GET", path: "/webhooks", tags, summary: "Webhooks with their health (never their secrets)" } })
    .input(listIntegrationsInput)
    .output(webhookPage)
    .query(async ({ ctx, input }) => {
      const page = await listIntegrations(ctx.db, WEBHOOK, input, ctx.clock());
      return { ...page, data: page.data.map(webhookOf) };
    }),

  get: adminProcedure
    .meta({ openapi: { method: "GET", path: "/webhooks/{webhookId}", tags, summary: "One webhook" } })
    .input(webhookIdInput)
    .output(webhookSchema)
    .query(async ({ ctx, input }) => webhookOf(await getIntegration(ctx.db, WEBHOOK, input.webhookId, ctx.clock()))),

  update: adminProcedure
    .meta({
      openapi: {
        method: "PATCH",
        path: "/webhooks/{webhookId}",
        tags,
        summary: "Change a webhook's URL, events, description or enabled",
      },
    })
    .input(updateWebhookInput)
    .output(webhookSchema)
    .mutation(async ({ ctx, input }) => {
      const { webhookId, url, ...rest } = input;
      return webhookOf(await updateIntegration(ctx, actorOf(ctx.principal), WEBHOOK, webhookId, { ...rest, target: url }));
    }),

  delete: adminProcedure
    .meta({
      openapi: { method: "DELETE", path: "/webhooks/{webhookId}", tags, summary: "Delete a webhook and its delivery log" },
      successStatus: 204,
    })
    .input(webhookIdInput)
    .output(z.void())
    .mutation(async ({ ctx, input }) => deleteIntegration(ctx, actorOf(ctx.principal), WEBHOOK, input.webhookId)),

  rotateSecret: adminProcedure
    .meta({
      openapi: {
        method: "POST",
        path: "/webhooks/{webhookId}/rotate-secret",
        tags,
        summary: "A new signing secret (returned this once); the old one keeps signing beside it for a day",
      },
    })
    .input(webhookIdInput)
    .output(rotatedSecretSchema)
    .mutation(async ({ ctx, input }) => rotateSecret(ctx, actorOf(ctx.principal), input.webhookId)),

  test: adminProcedure
    .meta({
      openapi: {
        method: "POST",
        path: "/webhooks/{webhookId}/test",
        tags,
        summary: "Send a signed integration.test ping now and answer with the result",
      },
    })
    .input(webhookIdInput)
    .output(deliverySchema)
    .mutation(async ({ ctx, input }) => sendTest(ctx, WEBHOOK, input.webhookId)),

  deliveries: adminProcedure
    .meta({
      openapi: { method: "GET", path: "/webhooks/{webhookId}/deliveries", tags, summary: "The delivery log, newest first" },
    })
    .input(listDeliveriesInput)
    .output(deliveryPage)
    .query(async ({ ctx, input }) => listDeliveries(ctx.db, WEBHOOK, input.webhookId, input)),

  redeliver: adminProcedure
    .meta({
      openapi: {
        method: "POST",
        path: "/webhooks/{webhookId}/deliveries/{deliveryId}/redeliver",
        tags,
        summary: "Send a delivery again, with its original webhook-id",
      },
    })
    .input(redeliverInput)
    .output(deliverySchema)
    .mutation(async ({ ctx, input }) => redeliver(ctx, WEBHOOK, input.webhookId, input.deliveryId)),
} satisfies TRPCRouterRecord;
