import type { TRPCRouterRecord } from "@trpc/server";
import { actorOf } from "../audit/auditLog";
import { writeChange } from "../shared/writeChange";
import { notFound } from "../shared/errors";
import { pageOffset, toPage } from "../shared/pagination";
import { iso, isoOrNull } from "../shared/schemas";
import { adminProcedure } from "../trpc";
import { createApiKey } from "./accounts";
import { apiKeyIdInput, createApiKeyInput, createApiKeyOutput, listApiKeysInput, listApiKeysOutput } from "./authSchemas";
import { z } from "zod";

const tags = ["api-keys"];

export const apiKeyRouter = {
  create: adminProcedure
    .meta({
      openapi: { method: "POST", path: "/api-keys", tags, summary: "Create an API key; the key is returned this once" },
      successStatus: 201,
    })
    .input(createApiKeyInput)
    .output(createApiKeyOutput)
    .mutation(async ({ ctx, input }) => {
      const actor = actorOf(ctx.principal);
      const created = await createApiKey(ctx, actor, { name: input.name, role: input.role, ownerId: ctx.principal.userId });
      return {
        id: created.id,
        name: created.name,
        prefix: created.prefix,
        role: created.role,
        createdAt: iso(created.created_at),
        createdBy: ctx.principal.username,
        lastUsedAt: null,
        revokedAt: null,
        key: created.key,
      };
    }),

  list: adminProcedure
    .meta({ openapi: { method: "GET", path: "/api-keys", tags, summary: "List API keys (never their secrets)" } })
    .input(listApiKeysInput)
    .output(listApiKeysOutput)
    .query(async ({ ctx, input }) => {
      const [rows, count] = await Promise.all([
        ctx.db
          .selectFrom("api_keys")
          .innerJoin("users", "users.id", "api_keys.user_id")
          .select([
            "api_keys.id",
            "api_keys.name",
            "api_keys.prefix",
            "api_keys.role",
            "api_keys.created_at",
            "api_keys.last_used_at",
            "api_keys.revoked_at",
            "users.username",
          ])
          .orderBy("api_keys.created_at", "desc")
          .orderBy("api_keys.id")
          .limit(input.pageSize)
          .offset(pageOffset(input))
          .execute(),
        ctx.db
          .selectFrom("api_keys")
          .select((eb) => eb.fn.countAll<string>().as("n"))
          .executeTakeFirstOrThrow(),
      ]);
      const keys = rows.map((row) => ({
        id: row.id,
        name: row.name,
        prefix: row.prefix,
        role: row.role,
        createdAt: iso(row.created_at),
        createdBy: row.username,
        lastUsedAt: isoOrNull(row.last_used_at),
        revokedAt: isoOrNull(row.revoked_at),
      }));
      return toPage(keys, input, Number(count.n));
    }),

  revoke: adminProcedure
    .meta({
      openapi: { method: "DELETE", path: "/api-keys/{keyId}", tags, summary: "Revoke an API key at once (safe to repeat)" },
      successStatus: 204,
    })
    .input(apiKeyIdInput)
    .output(z.void())
    .mutation(async ({ ctx, input }) => {
      await writeChange(ctx, async (tx, change) => {
        const key = await tx
          .selectFrom("api_keys")
          .select(["id", "prefix", "revoked_at"])
          .where("id", "=", input.keyId)
          .forUpdate()
          .executeTakeFirst();
        if (!key) throw notFound("API key", input.keyId);
        if (key.revoked_at) return;
        await tx.updateTable("api_keys").set({ revoked_at: change.now }).where("id", "=", key.id).execute();
        change.audit(actorOf(ctx.principal), {
          action: "api_key.revoked",
          target: { type: "api_key", id: key.id },
          details: { prefix: key.prefix },
        });
        // Refused from the next request on, here and on every replica.
        change.operatorCredentials();
      });
    }),
} satisfies TRPCRouterRecord;
