import { z } from "zod";
import { pageEnvelope, pageQuery } from "../shared/pagination";
import { storable, timestampSchema, uuidSchema } from "../shared/schemas";
import { eventTypePatternHelp, isEventTypePattern } from "./eventTypePatterns";

/**
 * Where SignalBeam sends: http(s) only, no credentials in the URL (they would show in every log and
 * listing; a receiver authenticates us by the signature), at most 2,000 characters.
 */
export const endpointUrlSchema = z
  .string()
  .trim()
  .max(2000, "must be at most 2,000 characters")
  .superRefine((value, context) => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      context.addIssue({
        code: "custom",
        message: "must be an absolute http(s) URL such as https://ci.example.com/hooks/signalbeam",
      });
      return;
    }
    if (url.protocol !== "http:" && url.protocol !== "https:")
      context.addIssue({ code: "custom", message: `must use http or https, not ${url.protocol.replace(/:$/, "")}` });
    else if (url.username || url.password)
      context.addIssue({
        code: "custom",
        message: "must not contain credentials (user:password@); receivers verify the signature instead",
      });
    else if (url.hash) context.addIssue({ code: "custom", message: "must not contain a #fragment" });
  })
  .describe("http(s) URL the events are POSTed to");

export const eventTypesSchema = z
  .array(z.string().max(64).refine(isEventTypePattern, `each must be ${eventTypePatternHelp}`))
  .min(1, "must name at least one event type (or *)")
  .max(32, "at most 32 entries")
  .refine((types) => new Set(types).size === types.length, "must not repeat an entry")
  .describe("Event types, families such as rollout.*, or *");

const descriptionSchema = storable(z.string().trim().max(500)).describe("What this integration is for");

const integrationFields = {
  id: uuidSchema,
  eventTypes: z.array(z.string()),
  description: z.string(),
  enabled: z.boolean(),
  disabledReason: z.string().nullable().describe("Why it was turned off, when SignalBeam did it (410 Gone, days of failures)"),
  failingSince: timestampSchema.nullable().describe("The first failed attempt since the last success"),
  lastSuccessAt: timestampSchema.nullable(),
  pendingDeliveries: z.number().int().describe("Deliveries waiting to be sent or retried"),
  createdAt: timestampSchema,
  updatedAt: timestampSchema,
  createdBy: z.string(),
};

// --- Webhooks -------------------------------------------------------------------------------

export const webhookSchema = z
  .object({
    ...integrationFields,
    url: z.string(),
    secretRotatingUntil: timestampSchema.nullable().describe("Until then the previous secret signs too"),
  })
  .meta({ id: "Webhook" });

export const createWebhookInput = z.strictObject({
  url: endpointUrlSchema,
  eventTypes: eventTypesSchema,
  description: descriptionSchema.default(""),
  enabled: z.boolean().default(true),
});

export const createdWebhookSchema = webhookSchema.extend({
  secret: z.string().describe("whsec_…: shown this once; verify signatures with it"),
});

export const webhookIdInput = z.strictObject({ webhookId: uuidSchema });

export const updateWebhookInput = z.strictObject({
  webhookId: uuidSchema,
  url: endpointUrlSchema.optional(),
  eventTypes: eventTypesSchema.optional(),
  description: descriptionSchema.optional(),
  enabled: z.boolean().optional().describe("true also clears a reason SignalBeam disabled it for"),
});

export const rotatedSecretSchema = z.object({
  secret: z.string().describe("The new whsec_… secret, shown this once"),
  previousSecretExpiresAt: timestampSchema.describe("Until then deliveries carry both signatures"),
});

export const listIntegrationsInput = z.strictObject({ ...pageQuery({ pageSize: 50, maxPageSize: 100 }) });

// --- Deliveries -----------------------------------------------------------------------------

export const deliverySchema = z
  .object({
    id: z.number().int(),
    eventId: z.number().int().nullable().describe("The change-log event; null for a test ping"),
    eventType: z.string(),
    status: z.enum(["pending", "succeeded", "failed"]).describe("failed: every attempt failed, or the integration is gone"),
    attempt: z.number().int().describe("Attempts made so far"),
    statusCode: z.number().int().nullable().describe("The receiver's answer to the last attempt"),
    error: z.string().nullable(),
    durationMs: z.number().int().nullable(),
    at: timestampSchema.nullable().describe("When the last attempt was made"),
    nextAttemptAt: timestampSchema.nullable(),
    createdAt: timestampSchema,
  })
  .meta({ id: "Delivery" });

export const listDeliveriesInput = z.strictObject({
  webhookId: uuidSchema,
  status: z.enum(["pending", "succeeded", "failed"]).optional(),
  ...pageQuery({ pageSize: 50, maxPageSize: 200 }),
});

export const redeliverInput = z.strictObject({ webhookId: uuidSchema, deliveryId: z.coerce.number().int().min(1) });

// --- Notification channels ------------------------------------------------------------------

export const channelSchema = z
  .object({
    ...integrationFields,
    kind: z.enum(["slack", "email"]),
    target: z.string().describe("The incoming-webhook URL, or the email address"),
  })
  .meta({ id: "NotificationChannel" });

const emailSchema = z.email({ message: "must be an email address such as oncall@example.com" }).max(254);

export const createChannelInput = z
  .strictObject({
    kind: z
      .enum(["slack", "email"])
      .describe("slack: a Slack-compatible incoming webhook (Mattermost, Rocket.Chat, Teams workflows too)"),
    target: z.string().trim().max(2000).describe("The incoming-webhook URL, or the email address"),
    eventTypes: eventTypesSchema,
    description: descriptionSchema.default(""),
    enabled: z.boolean().default(true),
  })
  .superRefine((input, context) => checkTarget(input.kind, input.target, context));

export const channelIdInput = z.strictObject({ channelId: uuidSchema });

export const updateChannelInput = z.strictObject({
  channelId: uuidSchema,
  target: z.string().trim().max(2000).optional(),
  eventTypes: eventTypesSchema.optional(),
  description: descriptionSchema.optional(),
  enabled: z.boolean().optional(),
});

export const listChannelDeliveriesInput = listDeliveriesInput.omit({ webhookId: true }).extend({ channelId: uuidSchema });

/** What is wrong with a channel's target for its kind, or null; on create, and on PATCH against the stored kind. */
export function targetProblems(kind: "slack" | "email", target: string): string[] {
  const result = (kind === "email" ? emailSchema : endpointUrlSchema).safeParse(target);
  return result.success ? [] : result.error.issues.map((issue) => issue.message);
}

function checkTarget(kind: "slack" | "email", target: string, context: z.RefinementCtx): void {
  for (const message of targetProblems(kind, target)) context.addIssue({ code: "custom", message, path: ["target"] });
}

export const webhookPage = pageEnvelope(webhookSchema);
export const channelPage = pageEnvelope(channelSchema);
export const deliveryPage = pageEnvelope(deliverySchema);
