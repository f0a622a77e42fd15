import { z } from "zod";
import { pageEnvelope, pageQuery } from "../shared/pagination";
import { storable, timestampSchema } from "../shared/schemas";

export const auditActions = [
  "rollout.created",
  "rollout.cancelled",
  "rollout.retried",
  "rollout.paused",
  "rollout.resumed",
  "rollout.advanced",
  "rollout.rolled_back",
  "user.created",
  "user.logged_in",
  "api_key.created",
  "api_key.revoked",
  "device.created",
  "device.token_rotated",
  "device.token_revoked",
  "integration.created",
  "integration.updated",
  "integration.deleted",
  "integration.secret_rotated",
  "integration.disabled",
] as const;

export const auditTargetTypes = ["rollout", "user", "api_key", "device", "integration"] as const;

export const listAuditInput = z.strictObject({
  targetType: z.enum(auditTargetTypes).optional().describe("Only events about this kind of thing"),
  targetId: storable(z.string().min(1).max(200)).optional().describe("Only events about this id (with targetType)"),
  action: z.enum(auditActions).optional(),
  ...pageQuery({ pageSize: 50, maxPageSize: 200 }),
});

const auditEventSchema = z
  .object({
    id: z.string(),
    at: timestampSchema,
    actor: z.object({
      type: z.enum(["user", "api_key", "system"]),
      id: z.string().nullable(),
      name: z.string().describe("Who, as a person reads it: a username, or an API key with its owner and prefix"),
    }),
    action: z.enum(auditActions),
    target: z.object({ type: z.enum(auditTargetTypes), id: z.string() }),
    details: z.record(z.string(), z.unknown()),
  })
  .meta({ id: "AuditEvent" });

export const listAuditOutput = pageEnvelope(auditEventSchema);
