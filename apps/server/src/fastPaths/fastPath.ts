import type { IncomingMessage, ServerResponse } from "node:http";
import type { Context } from "@signalbeam/api";

/** Answers a request before Express, or returns false to let Express answer it. */
export type FastPath = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

/** The same context factory the tRPC and REST adapters use. */
export type CreateContext = (options: { req: IncomingMessage; res: ServerResponse }) => Promise<Context>;
