import { type AgentCache, authorizeAgent, type CacheWarmer, createCaller, desiredStateEntry } from "@signalbeam/api";
import { type CreateContext, type FastPath, fastPath, sendAnswer } from "./fastPath";
import { routeOf } from "./routeOf";

/**
 * The agent poll, `GET /api/devices/{deviceId}/desired-state`, answered before Express sees it.
 * Polls are nearly all of a fleet's traffic and nearly all find nothing changed, and Express plus
 * the REST bridge cost several times what the answer itself does (see the README's performance
 * section). This is not a second implementation: the route comes from the procedure's meta, the
 * answer from calling the procedure itself (`agent.desiredState`, with its input and output
 * schemas), kept in the agent cache until a write invalidates it. It adds what the contract
 * extends it with — an ETag, and 304 Not Modified for an `If-None-Match` that still matches.
 * Anything it does not answer with a 200 or 304 (no or bad credential, another device's id,
 * unknown device, odd query) goes to Express unchanged, so errors are exactly the REST path's.
 */
export interface FastPathDependencies {
  createContext: CreateContext;
  cache: AgentCache;
  /** The cache's warmer, when it runs: a poll for a device it is about to load waits for that batch. */
  warmer?: Pick<CacheWarmer, "loading"> | undefined;
  /** Where the REST API is mounted. */
  apiBase: string;
}

const matchesEtag = (header: string | undefined, etag: string) =>
  header !== undefined && header.split(",").some((candidate) => candidate.trim().replace(/^W\//, "") === etag);

export function desiredStateFastPath(deps: FastPathDependencies): FastPath {
  const procedure = "agent.desiredState";
  const route = routeOf(procedure, deps.apiBase);

  return fastPath(procedure, async (req, res) => {
    if (req.method !== "GET") return false;
    const deviceId = route.match(req.url);
    if (deviceId === undefined) return false;

    const ctx = await deps.createContext({ req, res });
    try {
      // The procedure's own access rule, before anything is answered from memory.
      authorizeAgent(ctx.principal, deviceId);
    } catch {
      return false; // Express answers it: 401 or 403 with the REST path's body
    }
    let entry = deps.cache.desiredState(deviceId);
    const loading = entry ? undefined : deps.warmer?.loading(deviceId);
    if (loading) {
      await loading;
      entry = deps.cache.desiredState(deviceId);
    }
    if (!entry) {
      const generation = deps.cache.generation();
      let answer: unknown;
      try {
        answer = await createCaller(ctx).agent.desiredState({ deviceId });
      } catch {
        return false; // Express answers it, with the REST path's error body
      }
      entry = desiredStateEntry(answer);
      deps.cache.rememberDesiredState(deviceId, entry, generation);
    }

    // Revalidate every time: the ETag is the agent's cheap way to ask "anything new?".
    if (matchesEtag(req.headers["if-none-match"], entry.etag))
      sendAnswer(res, 304, { "cache-control": "no-cache", etag: entry.etag });
    else sendAnswer(res, 200, { "cache-control": "no-cache", etag: entry.etag, "content-type": "application/json" }, entry.body);
    return true;
  });
}
