import semver from "semver";
import { z } from "zod";

/** Field schemas shared by several domains. */

export const deviceIdSchema = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/,
    "must be 1–128 characters: letters, digits, '.', '_', ':' or '-', starting with a letter or digit",
  )
  .describe("Device id, e.g. device-001");

export const uuidSchema = z.uuid({ message: "must be a UUID" });

export const semverSchema = z
  .string()
  .max(128)
  .refine((value) => semver.valid(value) === value, "must be a semantic version such as 1.2.0")
  .describe("Semantic version, e.g. 1.2.0");

export const timestampSchema = z.iso.datetime().describe("ISO-8601 UTC timestamp");

export const iso = (date: Date) => date.toISOString();
export const isoOrNull = (date: Date | null) => (date ? date.toISOString() : null);

export const nameSchema = z.string().trim().min(1, "must not be empty").max(200);

export const labelsSchema = z
  .record(z.string().min(1).max(63), z.string().max(255))
  .refine((labels) => Object.keys(labels).length <= 64, "at most 64 labels")
  .describe("Free-form string labels");
