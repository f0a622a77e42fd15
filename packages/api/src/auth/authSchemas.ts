import { z } from "zod";
import { pageEnvelope, pageQuery } from "../shared/pagination";
import { storable, timestampSchema, uuidSchema } from "../shared/schemas";
import { ROLES } from "./roles";

const roleSchema = z
  .enum(ROLES)
  .describe("viewer: read; operator: plus rollouts, devices, groups, bundles; admin: plus users and keys");

const usernameSchema = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._-]{1,63}$/,
    "must be 2–64 characters: letters, digits, '.', '_' or '-', starting with a letter or digit",
  );

/** Long passphrases welcome; the cap only bounds the work one request can ask of scrypt. */
const newPasswordSchema = z.string().min(12, "must be at least 12 characters").max(1024);

export const loginInput = z.strictObject({
  username: storable(z.string().min(1, "must not be empty").max(64)),
  password: z.string().min(1, "must not be empty").max(1024),
});

export const identitySchema = z
  .object({
    id: uuidSchema,
    username: z.string(),
    role: roleSchema,
    via: z.enum(["session", "apiKey"]).describe("How this request was authenticated"),
    csrfToken: z.string().nullable().describe("For a session: send it as X-CSRF-Token on every write"),
  })
  .meta({ id: "Identity" });

export const loginOutput = identitySchema.extend({ expiresAt: timestampSchema });

export const createUserInput = z.strictObject({ username: usernameSchema, password: newPasswordSchema, role: roleSchema });

export const userSchema = z
  .object({
    id: uuidSchema,
    username: z.string(),
    role: roleSchema,
    createdAt: timestampSchema,
    createdBy: z.string().nullable(),
  })
  .meta({ id: "User" });

export const listUsersInput = z.strictObject({ ...pageQuery({ pageSize: 50, maxPageSize: 200 }) });
export const listUsersOutput = pageEnvelope(userSchema);

export const createApiKeyInput = z.strictObject({
  name: storable(z.string().trim().min(1, "must not be empty").max(100)).describe("What the key is for, e.g. ci-deploy"),
  role: roleSchema.default("operator"),
});

const apiKeySchema = z
  .object({
    id: uuidSchema,
    name: z.string(),
    prefix: z.string().describe("The key's public first part, sbk_…: recognisable in logs and leak reports"),
    role: roleSchema,
    createdAt: timestampSchema,
    createdBy: z.string(),
    lastUsedAt: timestampSchema.nullable().describe("To the minute"),
    revokedAt: timestampSchema.nullable(),
  })
  .meta({ id: "ApiKey" });

export const createApiKeyOutput = apiKeySchema.extend({
  key: z.string().describe("The whole key, shown this once; only a hash is stored"),
});

export const listApiKeysInput = z.strictObject({ ...pageQuery({ pageSize: 50, maxPageSize: 200 }) });
export const listApiKeysOutput = pageEnvelope(apiKeySchema);
export const apiKeyIdInput = z.strictObject({ keyId: uuidSchema });
