import { createCaller, successStatusByPath } from "@signalbeam/api";
import { type CreateContext, type FastPath, fastPath, sendAnswer } from "./fastPath";
import { handOver, isReadableJson, readJsonBody } from "./requestBody";
import { routeOf } from "./routeOf";

/**
 * The agent's status report, `PUT /api/rollouts/{rolloutId}/status`, answered before Express.
 * During a rollout every device reports two or three times in a few minutes, and Express with its
 * middleware and the REST bridge cost more than the report itself (group-committed, see
 * `reportBatcher`). Like the poll's fast path this is not a second implementation: the route comes
 * from the procedure's meta, the input is built the way the REST bridge builds it (body, then the
 * path parameter), and the answer is the procedure's own (`agent.reportStatus`).
 *
 * Only a successful report is answered here. Anything else — a body that is not small plain JSON,
 * bad JSON, a missing or foreign credential, a rejected transition — is handed to Express with
 * the body already read, and the REST path answers it with its own error. Re-running a rejected
 * report is safe: a report that fails writes nothing.
 */
export interface ReportFastPathDependencies {
  createContext: CreateContext;
  apiBase: string;
  /** Larger bodies go to Express (which allows up to 1 MiB); a report is a few hundred bytes. */
  maxBodyBytes?: number;
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

export function reportFastPath(deps: ReportFastPathDependencies): FastPath {
  const procedure = "agent.reportStatus";
  const route = routeOf(procedure, deps.apiBase);
  const maxBodyBytes = deps.maxBodyBytes ?? 16 * 1024;
  const status = successStatusByPath.get("agent.reportStatus") ?? 200;

  return fastPath(procedure, async (req, res) => {
    if (req.method !== "PUT") return false;
    const rolloutId = route.match(req.url);
    if (rolloutId === undefined || !isReadableJson(req, maxBodyBytes)) return false;

    let body: Awaited<ReturnType<typeof readJsonBody>>;
    try {
      body = await readJsonBody(req);
    } catch {
      req.socket.destroy(); // the client went away mid-body: nobody to answer
      return true;
    }
    if (!body.ok || !isPlainObject(body.value)) {
      handOver(req, body);
      return false;
    }
    let answer: unknown;
    try {
      const ctx = await deps.createContext({ req, res });
      // As the REST bridge builds it; the procedure's input schema validates it (hence the cast).
      answer = await createCaller(ctx).agent.reportStatus({ ...body.value, rolloutId } as never);
    } catch {
      handOver(req, body);
      return false; // Express answers it, with the REST path's error body
    }
    sendAnswer(res, status, { "content-type": "application/json" }, JSON.stringify(answer));
    return true;
  });
}
