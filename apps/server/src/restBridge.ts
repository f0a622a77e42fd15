import type { ErrorRequestHandler, RequestHandler } from "express";

const bodyMethods = new Set(["POST", "PUT", "PATCH", "DELETE"]);

const hasBody = (headers: Record<string, string | string[] | undefined>) =>
  headers["transfer-encoding"] !== undefined || (headers["content-length"] !== undefined && headers["content-length"] !== "0");

/**
 * `curl -X POST .../cancel` sends no body and no Content-Type; trpc-to-openapi would answer 415.
 * A request with no body at all is treated as an empty JSON object.
 */
export const emptyBodyAsJson: RequestHandler = (req, _res, next) => {
  if (bodyMethods.has(req.method) && !hasBody(req.headers)) {
    req.headers["content-type"] = "application/json";
    req.body = {};
  }
  next();
};

/** Body-parser failures (bad JSON, too large) as the API's JSON errors instead of HTML pages. */
export const bodyErrors: ErrorRequestHandler = (error, _req, res, next) => {
  const status = typeof error?.status === "number" ? error.status : 500;
  if (error?.type === "entity.parse.failed")
    return void res.status(400).json({ message: `body: not valid JSON (${error.message})`, code: "PARSE_ERROR" });
  if (error?.type === "entity.too.large")
    return void res.status(413).json({ message: `body: larger than the ${error.limit}-byte limit`, code: "PAYLOAD_TOO_LARGE" });
  if (status >= 400 && status < 500)
    return void res.status(status).json({ message: String(error.message ?? "bad request"), code: "BAD_REQUEST" });
  next(error);
};

/** Deeper than any request the API defines; a bound on what a body can make the server walk. */
const MAX_JSON_DEPTH = 32;

/** How deeply a parsed JSON value nests, walked with an explicit stack (no recursion to overflow). */
function jsonDepth(value: unknown, stopAt: number = Number.POSITIVE_INFINITY): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length) {
    const [current, depth] = stack.pop()!;
    if (typeof current !== "object" || current === null) continue;
    const level = depth + 1;
    if (level > deepest) deepest = level;
    if (deepest > stopAt) return deepest;
    for (const child of Object.values(current)) stack.push([child, level]);
  }
  return deepest;
}

export const bodyDepthLimit: RequestHandler = (req, res, next) => {
  if (req.body !== undefined && jsonDepth(req.body, MAX_JSON_DEPTH) > MAX_JSON_DEPTH)
    return void res.status(400).json({ message: `body: nested deeper than ${MAX_JSON_DEPTH} levels`, code: "BAD_REQUEST" });
  next();
};
