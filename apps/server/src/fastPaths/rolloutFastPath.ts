import { createCaller } from "@signalbeam/api";
import { type CreateContext, type FastPath, fastPath, sendAnswer } from "./fastPath";
import { routeOf } from "./routeOf";

/**
 * `GET /api/rollouts/{rolloutId}` in its REST default form, with the whole `targetIds`: the answer
 * of the procedure's summary form (`rollouts.byId` with `targets: "summary"`: access, validation,
 * the row, its output schema) with the rollout's target list appended as it was serialized once,
 * from the same cache the procedure reads it from. `targetIds` is the output schema's last field,
 * so the bytes are those the REST path sends — without parsing, validating and serializing 100,000
 * ids again for every read (a listed-device rollout read several times slower than a group one).
 * A query string, an error or anything else is Express's to answer, with the REST path's body.
 */
export function rolloutFastPath(deps: { createContext: CreateContext; apiBase: string }): FastPath {
  const procedure = "rollouts.byId";
  const route = routeOf(procedure, deps.apiBase);

  return fastPath(procedure, async (req, res) => {
    if (req.method !== "GET") return false;
    const rolloutId = route.match(req.url);
    if (rolloutId === undefined) return false;
    let body: (string | Buffer)[];
    try {
      const ctx = await deps.createContext({ req, res });
      const summary = await createCaller(ctx).rollouts.byId({ rolloutId, targets: "summary" });
      const list = (await ctx.targetLists.get(ctx.db, [summary.id])).get(summary.id);
      if (!list) return false;
      const json = JSON.stringify(summary);
      body = [`${json.slice(0, -1)},"targetIds":`, list.json, "}"];
    } catch {
      return false;
    }
    sendAnswer(res, 200, { "content-type": "application/json" }, body);
    return true;
  });
}
