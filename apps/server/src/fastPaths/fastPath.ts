import type { IncomingMessage, ServerResponse } from "node:http";
import type { Context } from "@signalbeam/api";
import { setSecurityHeaders } from "../securityHeaders";

/** Answers a request before Express, or returns false to let Express answer it. */
export interface FastPath {
  (req: IncomingMessage, res: ServerResponse): Promise<boolean>;
  /** The procedure whose REST path it answers (the authorization test sends every caller through it). */
  readonly procedure: string;
}

export const fastPath = (procedure: string, answer: (req: IncomingMessage, res: ServerResponse) => Promise<boolean>): FastPath =>
  Object.assign(answer, { procedure });

/** The same context factory the tRPC and REST adapters use. */
export type CreateContext = (options: { req: IncomingMessage; res: ServerResponse }) => Promise<Context>;

const resolved = Symbol("signalbeam.resolvedContext");
type Carrying = IncomingMessage & { [resolved]?: Promise<Context> };

/**
 * Resolves a request's context once: a fast path that hands a request to Express leaves it on the
 * request, so a refused credential is looked up once, not twice.
 */
export const onceEach =
  (createContext: CreateContext): CreateContext =>
  (options) =>
    ((options.req as Carrying)[resolved] ??= createContext(options));

/**
 * Sends a fast path's answer with the headers every answer of the server carries. A body given in
 * parts is written part by part (a cached 1 MB part is never copied into a new string).
 */
export function sendAnswer(
  res: ServerResponse,
  status: number,
  headers: Record<string, string>,
  body?: string | readonly (string | Buffer)[],
): void {
  setSecurityHeaders(res);
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  res.statusCode = status;
  if (typeof body !== "object") return void res.end(body);
  res.setHeader(
    "content-length",
    body.reduce((length, part) => length + Buffer.byteLength(part), 0),
  );
  res.cork();
  for (const part of body) res.write(part);
  res.end();
}
