import type { TRPCRouterRecord } from "@trpc/server";
import { z } from "zod";
import { writeChange } from "../shared/writeChange";
import { DomainError } from "../shared/errors";
import { iso } from "../shared/schemas";
import { type Context, publicProcedure, viewerProcedure } from "../trpc";
import { identitySchema, loginInput, loginOutput } from "./authSchemas";
import type { UserPrincipal } from "./principal";
import { verifyAgainstDecoy, verifyPassword } from "./passwords";
import { randomSecret, sha256Hex } from "./secrets";
import { clearedSessionCookie, SESSION_TTL_MS, sessionCookie } from "./sessionCookie";

const tags = ["auth"];
const invalidLogin = () => new DomainError("UNAUTHORIZED", "wrong username or password");

const identityOf = (principal: UserPrincipal) => ({
  id: principal.userId,
  username: principal.username,
  role: principal.role,
  via: principal.via.type,
  csrfToken: principal.via.type === "session" ? principal.via.csrfToken : null,
});

async function throttle(ctx: Context, username: string) {
  const address = ctx.http?.clientAddress ?? "in-process";
  const wait = await ctx.loginLimiter.retryAfter(address, username);
  if (wait > 0) {
    ctx.http?.setHeader("Retry-After", String(wait));
    throw new DomainError("TOO_MANY_REQUESTS", `too many failed logins; try again in ${wait} s`, { retryAfterSeconds: wait });
  }
  return address;
}

export const authRouter = {
  login: publicProcedure
    .meta({
      openapi: {
        method: "POST",
        path: "/auth/login",
        tags,
        summary: "Sign in; sets the httpOnly session cookie and returns the CSRF token for writes",
      },
    })
    .input(loginInput)
    .output(loginOutput)
    .mutation(async ({ ctx, input }) => {
      const address = await throttle(ctx, input.username);
      const user = await ctx.db.selectFrom("users").selectAll().where("username", "=", input.username).executeTakeFirst();
      const valid = user ? await verifyPassword(input.password, user.password_hash) : await verifyAgainstDecoy(input.password);
      if (!user || !valid) {
        await ctx.loginLimiter.recordFailure(address, input.username);
        throw invalidLogin();
      }
      await ctx.loginLimiter.recordSuccess(address, input.username);

      const token = randomSecret();
      const csrfToken = randomSecret();
      const now = ctx.clock();
      const expiresAt = new Date(now.getTime() + SESSION_TTL_MS);
      await writeChange(ctx, async (tx, change) => {
        await tx
          .insertInto("sessions")
          .values({
            token_hash: sha256Hex(token),
            user_id: user.id,
            csrf_token: csrfToken,
            created_at: now,
            expires_at: expiresAt,
          })
          .execute();
        // Expired sessions are swept here rather than by a timer: logins are rare, sessions few.
        await tx.deleteFrom("sessions").where("expires_at", "<=", now).execute();
        change.audit(
          { type: "user", id: user.id, name: user.username },
          { action: "user.logged_in", target: { type: "user", id: user.id } },
        );
      });
      ctx.http?.setHeader("Set-Cookie", sessionCookie(token, { secure: ctx.http.secure, maxAgeSeconds: SESSION_TTL_MS / 1000 }));
      return {
        id: user.id,
        username: user.username,
        role: user.role,
        via: "session" as const,
        csrfToken,
        expiresAt: iso(expiresAt),
      };
    }),

  logout: publicProcedure
    .meta({
      openapi: { method: "POST", path: "/auth/logout", tags, summary: "End the session of this cookie (safe to repeat)" },
      successStatus: 204,
    })
    .input(z.strictObject({}).optional())
    .output(z.void())
    .mutation(async ({ ctx }) => {
      if (ctx.principal.kind === "user" && ctx.principal.via.type === "session") {
        const { sessionKey } = ctx.principal.via;
        await writeChange(ctx, async (tx, change) => {
          await tx.deleteFrom("sessions").where("token_hash", "=", sessionKey).execute();
          change.operatorCredentials();
        });
      }
      if (ctx.http) ctx.http.setHeader("Set-Cookie", clearedSessionCookie({ secure: ctx.http.secure }));
    }),

  me: viewerProcedure
    .meta({ openapi: { method: "GET", path: "/auth/me", tags, summary: "Who this request is signed in as" } })
    .input(z.strictObject({}).optional())
    .output(identitySchema)
    .query(({ ctx }) => identityOf(ctx.principal)),
} satisfies TRPCRouterRecord;
