import type { RolloutPolicy } from "@signalbeam/db";
import { z } from "zod";
import { labelsSchema, storable } from "../../shared/schemas";
import { cronProblem, isKnownTimeZone } from "./windows";

/**
 * The `policy` of POST /rollouts (docs/DESIGN.md, "Progressive delivery"). Every field is bounded;
 * what can be checked without the targets is checked here (400 naming the field). Whether each
 * wave gets a device depends on the targets and is checked at creation (see `planWaves`).
 */
const waveSchema = z
  .strictObject({
    name: storable(z.string().trim().min(1).max(60)).optional(),
    percent: z
      .number()
      .gt(0, "must be more than 0")
      .max(100, "must be at most 100")
      .optional()
      .describe("Cumulative share of the targets reached once this wave is released"),
    count: z.number().int().min(1).max(200_000).optional().describe("Cumulative number of devices reached by this wave"),
    selector: z
      .strictObject({
        labels: labelsSchema.refine((labels) => Object.keys(labels).length > 0, "must name at least one label"),
      })
      .optional()
      .describe("Devices with these labels are placed in this wave first (a canary ring)"),
  })
  .superRefine((wave, ctx) => {
    if (wave.percent !== undefined && wave.count !== undefined)
      ctx.addIssue({ code: "custom", path: ["count"], message: "give percent or count, not both" });
    if (wave.percent === undefined && wave.count === undefined && wave.selector === undefined)
      ctx.addIssue({ code: "custom", path: ["percent"], message: "give percent, count, or a selector" });
  });

const windowSchema = z
  .strictObject({
    cron: z.string().trim().min(9).max(120).describe('Five-field cron, e.g. "0 1 * * *" (01:00 every day)'),
    durationMinutes: z.number().int().min(1).max(1440),
    timezone: z
      .string()
      .max(64)
      .refine(isKnownTimeZone, "must be an IANA time zone such as Europe/Berlin (fixed offsets are not accepted)"),
  })
  .superRefine((window, ctx) => {
    if (!isKnownTimeZone(window.timezone)) return;
    const problem = cronProblem(window, new Date());
    if (problem) ctx.addIssue({ code: "custom", path: ["cron"], message: problem });
  });

export const policySchema = z
  .strictObject({
    waves: z
      .array(waveSchema)
      .min(1)
      .max(20)
      .default([{ percent: 100 }]),
    advance: z.enum(["auto", "manual"]).default("auto").describe("manual: each next wave waits for POST /advance"),
    gate: z
      .strictObject({
        successPercent: z.number().min(0).max(100).default(100),
        soakSeconds: z.number().int().min(0).max(604_800).default(0),
      })
      .default({ successPercent: 100, soakSeconds: 0 })
      .describe("A wave passes when this share of it succeeded; the next starts after the soak"),
    failureThreshold: z
      .strictObject({
        percent: z.number().min(0).max(100),
        minCompleted: z.number().int().min(1).max(200_000).default(1),
        action: z.enum(["pause", "abort", "rollback"]).default("pause"),
      })
      .optional()
      .describe("failed ÷ (succeeded + failed) over released devices, once minCompleted have finished"),
    deviceTimeoutSeconds: z.number().int().min(10).max(604_800).optional(),
    retry: z
      .strictObject({
        maxAttempts: z.number().int().min(1).max(10),
        backoffSeconds: z.number().int().min(0).max(86_400).default(60),
      })
      .optional()
      .describe("maxAttempts counts every attempt, the first included; the wait doubles each time"),
    rate: z.strictObject({ maxPerMinute: z.number().int().min(1).max(100_000) }).optional(),
    schedule: z
      .strictObject({
        startAt: z.iso.datetime({ offset: true, message: "must be an ISO-8601 time such as 2026-12-24T01:00:00Z" }).optional(),
        windows: z.array(windowSchema).min(1).max(10).optional(),
      })
      .optional(),
  })
  .superRefine((policy, ctx) => {
    // Cumulative: percents strictly increase, counts strictly increase; the last wave reaches
    // everyone (100 %, or a count checked against the targets at creation).
    let lastPercent = 0;
    let lastCount = 0;
    policy.waves.forEach((wave, index) => {
      if (wave.percent !== undefined) {
        if (wave.percent <= lastPercent)
          ctx.addIssue({
            code: "custom",
            path: ["waves", index, "percent"],
            message: `must be more than the previous wave's ${lastPercent} % (percents are cumulative)`,
          });
        lastPercent = Math.max(lastPercent, wave.percent);
      }
      if (wave.count !== undefined) {
        if (wave.count <= lastCount)
          ctx.addIssue({
            code: "custom",
            path: ["waves", index, "count"],
            message: `must be more than the previous wave's ${lastCount} devices (counts are cumulative)`,
          });
        lastCount = Math.max(lastCount, wave.count);
      }
    });
    const last = policy.waves[policy.waves.length - 1];
    if (!last) return; // too few waves: reported by the array's own bound
    if (last.percent !== undefined && last.percent !== 100)
      ctx.addIssue({
        code: "custom",
        path: ["waves", policy.waves.length - 1, "percent"],
        message: `the last wave must reach 100 % of the targets, not ${last.percent} %`,
      });
    if (last.percent === undefined && last.count === undefined)
      ctx.addIssue({
        code: "custom",
        path: ["waves", policy.waves.length - 1],
        message: "the last wave must reach every target: give it percent 100 or a count",
      });
  })
  .meta({
    id: "RolloutPolicy",
    examples: [
      {
        waves: [{ name: "canary", count: 25, selector: { labels: { ring: "canary" } } }, { percent: 10 }, { percent: 100 }],
        advance: "auto",
        gate: { successPercent: 95, soakSeconds: 600 },
        failureThreshold: { percent: 10, minCompleted: 20, action: "pause" },
        deviceTimeoutSeconds: 1800,
        retry: { maxAttempts: 3, backoffSeconds: 300 },
        rate: { maxPerMinute: 500 },
        schedule: {
          startAt: "2026-12-24T01:00:00Z",
          windows: [{ cron: "0 1 * * *", durationMinutes: 240, timezone: "Europe/Berlin" }],
        },
      },
    ],
  });

export type PolicyInput = z.infer<typeof policySchema>;

/** The stored form is the parsed input: defaults filled in, nothing else added. */
export const storedPolicy = (policy: PolicyInput): RolloutPolicy => policy;
