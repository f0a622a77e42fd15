import type { TRPCRouterRecord } from "@trpc/server";
import { actorOf } from "../audit/auditLog";
import { pageOffset, toPage } from "../shared/pagination";
import { iso } from "../shared/schemas";
import { adminProcedure } from "../trpc";
import { createUser } from "./accounts";
import { createUserInput, listUsersInput, listUsersOutput, userSchema } from "./authSchemas";

const tags = ["users"];

export const userRouter = {
  create: adminProcedure
    .meta({ openapi: { method: "POST", path: "/users", tags, summary: "Create an operator account" }, successStatus: 201 })
    .input(createUserInput)
    .output(userSchema)
    .mutation(async ({ ctx, input }) => {
      const actor = actorOf(ctx.principal);
      const user = await createUser(ctx, actor, input);
      return { id: user.id, username: user.username, role: user.role, createdAt: iso(user.created_at), createdBy: actor.name };
    }),

  list: adminProcedure
    .meta({ openapi: { method: "GET", path: "/users", tags, summary: "List operator accounts" } })
    .input(listUsersInput)
    .output(listUsersOutput)
    .query(async ({ ctx, input }) => {
      const [rows, count] = await Promise.all([
        ctx.db
          .selectFrom("users")
          .select(["id", "username", "role", "created_at", "created_by"])
          .orderBy("username")
          .limit(input.pageSize)
          .offset(pageOffset(input))
          .execute(),
        ctx.db
          .selectFrom("users")
          .select((eb) => eb.fn.countAll<string>().as("n"))
          .executeTakeFirstOrThrow(),
      ]);
      const users = rows.map((row) => ({
        id: row.id,
        username: row.username,
        role: row.role,
        createdAt: iso(row.created_at),
        createdBy: row.created_by,
      }));
      return toPage(users, input, Number(count.n));
    }),
} satisfies TRPCRouterRecord;
