import { z } from "zod";
import { changeEventTypes } from "../shared/changeLog";
import { eventTypePatternHelp, isEventTypePattern } from "../integrations/eventTypePatterns";
import { timestampSchema, uuidSchema } from "../shared/schemas";

/** `rollout.wave_started`, or a family such as `rollout.*` / `device.*`. */
const typeFilter = z
  .string()
  .refine((value) => value !== "*" && isEventTypePattern(value), `must be ${eventTypePatternHelp.replace(", or *", "")}`);

export const listEventsInput = z.strictObject({
  after: z.coerce
    .number()
    .int()
    .min(0)
    .default(0)
    .describe("Events after this id (the previous page's nextAfter); 0: from the start"),
  type: typeFilter.optional().describe("Only this event type, or family (rollout.*, device.*)"),
  rolloutId: uuidSchema.optional().describe("Only events about this rollout"),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

const eventSchema = z
  .object({
    id: z.number().int().describe("Monotonic: page with after=<the last id seen>"),
    type: z.enum(changeEventTypes),
    at: timestampSchema,
    rolloutId: uuidSchema.nullable(),
    deviceId: z.string().nullable(),
    actor: z.object({ type: z.string(), id: z.string().nullable(), name: z.string() }),
    data: z.record(z.string(), z.unknown()),
  })
  .meta({ id: "ChangeEvent" });

export const listEventsOutput = z.object({
  data: z.array(eventSchema),
  nextAfter: z.number().int().describe("Pass as `after` to read on; the same value when nothing new has committed"),
});
