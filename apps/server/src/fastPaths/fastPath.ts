import type { IncomingMessage, ServerResponse } from "node:http";
import type { Context } from "@signalbeam/api";
import { setSecurityHeaders } from "../securityHeaders";

/** Answers a request before Express, or returns false to let Express answer it. */
export type FastPath = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

/** The same context factory the tRPC and REST adapters use. */
export type CreateContext = (options: { req: IncomingMessage; res: ServerResponse }) => Promise<Context>;

/** Sends a fast path's answer with the headers every answer of the server carries. */
export function sendAnswer(res: ServerResponse, status: number, headers: Record<string, string>, body?: string): void {
  setSecurityHeaders(res);
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  res.statusCode = status;
  res.end(body);
}
