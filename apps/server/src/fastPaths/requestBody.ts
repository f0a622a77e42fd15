import type { IncomingMessage } from "node:http";
import type { RequestHandler } from "express";

/**
 * Reading a JSON body before Express does, and handing the request over to Express afterwards as
 * if its own body parser had read it: `req.body` is set (body-parser skips a request whose body
 * has been read), or the parse error is carried to `carriedBodyError`, so the REST path answers
 * exactly what it would have.
 */
const parseError = Symbol("signalbeam.fastPathBodyError");
type CarryingRequest = IncomingMessage & { body?: unknown; [parseError]?: Error };

/** Small, plain UTF-8 JSON bodies only; anything else is left unread for Express. */
export function isReadableJson(req: IncomingMessage, maxBytes: number): boolean {
  const length = Number(req.headers["content-length"]);
  return (
    /^application\/json\s*(;\s*charset=utf-8\s*)?$/i.test(req.headers["content-type"] ?? "") &&
    req.headers["transfer-encoding"] === undefined &&
    req.headers["content-encoding"] === undefined &&
    Number.isInteger(length) &&
    length > 0 &&
    length <= maxBytes
  );
}

export type ReadBody = { ok: true; value: unknown } | { ok: false; error: Error };

/** The whole body (its Content-Length is already known to be small), parsed. */
export function readJsonBody(req: IncomingMessage): Promise<ReadBody> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.once("error", reject);
    req.once("aborted", () => reject(new Error("request aborted")));
    req.once("end", () => {
      try {
        resolve({ ok: true, value: JSON.parse(Buffer.concat(chunks).toString("utf8")) });
      } catch (error) {
        resolve({ ok: false, error: error as Error });
      }
    });
  });
}

/** Give the request to Express with the body already read. */
export function handOver(req: IncomingMessage, body: ReadBody): void {
  const carrying = req as CarryingRequest;
  if (body.ok) carrying.body = body.value;
  else carrying[parseError] = Object.assign(body.error, { status: 400, type: "entity.parse.failed" });
}

/** After `express.json()`: a parse error found by a fast path, passed on to the error handler. */
export const carriedBodyError: RequestHandler = (req, _res, next) => next((req as CarryingRequest)[parseError]);
