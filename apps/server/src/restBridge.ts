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
