import createClient from "openapi-fetch";
import type { DesiredState } from "../reconcile/types";
import type { paths } from "./schema";

/** The server could not be reached or failed (network error, 5xx): try again later. */
export class ApiUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ApiUnavailableError";
  }
}

/** The server refused the request (401, 403, 404, 400): retrying the same thing will not help. */
export class ApiRejectedError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = "ApiRejectedError";
  }
}

export type ReportStatus = "updating" | "succeeded" | "failed";

export type ReportOutcome =
  | { kind: "acknowledged" }
  /** 409: the server moved on (cancelled, superseded, already finished). */
  | { kind: "conflict"; currentStatus: string; message: string };

export interface Heartbeat {
  bundleId: string | null;
  version: string | null;
  agentVersion: string;
}

/** The three agent paths, and nothing else: the agent talks to the server only through them. */
export interface AgentApi {
  desiredState(): Promise<DesiredState>;
  report(rolloutId: string, status: ReportStatus, errorMessage?: string): Promise<ReportOutcome>;
  heartbeat(heartbeat: Heartbeat): Promise<void>;
}

export interface AgentApiOptions {
  baseUrl: string;
  deviceId: string;
  token: string;
  fetch?: typeof globalThis.fetch;
  /** Per-request timeout. */
  timeoutMs?: number;
}

const messageOf = (body: unknown, status: number) =>
  typeof body === "object" && body !== null && typeof (body as { message?: unknown }).message === "string"
    ? (body as { message: string }).message
    : `HTTP ${status}`;

export function createAgentApi(options: AgentApiOptions): AgentApi {
  const timeoutMs = options.timeoutMs ?? 15_000;
  const client = createClient<paths>({
    baseUrl: `${options.baseUrl.replace(/\/+$/, "")}/api`,
    headers: { authorization: `Bearer ${options.token}` },
    fetch: options.fetch,
  });
  const deviceId = options.deviceId;
  /** The last full answer and its ETag: the next poll asks "anything new?" with If-None-Match. */
  let last: { etag: string; state: DesiredState } | undefined;

  /** Runs one request; maps transport failures and 5xx to ApiUnavailable, other errors to ApiRejected. */
  async function call<T>(
    what: string,
    request: (signal: AbortSignal) => Promise<{ data?: T; error?: unknown; response: Response }>,
  ) {
    let result: { data?: T; error?: unknown; response: Response };
    try {
      result = await request(AbortSignal.timeout(timeoutMs));
    } catch (error) {
      const cause = error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : String(error);
      throw new ApiUnavailableError(`${what}: server unreachable (${cause})`);
    }
    const { response } = result;
    if (response.status >= 500) throw new ApiUnavailableError(`${what}: server error ${response.status}`);
    return result;
  }

  return {
    async desiredState() {
      const { data, error, response } = await call("desired state", (signal) =>
        client.GET("/devices/{deviceId}/desired-state", {
          params: { path: { deviceId }, header: last ? { "If-None-Match": last.etag } : {} },
          signal,
        }),
      );
      if (response.status === 304 && last) return last.state;
      if (!data) throw new ApiRejectedError(`desired state: ${messageOf(error, response.status)}`, response.status);
      const etag = response.headers.get("etag");
      last = etag ? { etag, state: data } : undefined;
      return data;
    },

    async report(rolloutId, status, errorMessage) {
      const { data, error, response } = await call(`report ${status}`, (signal) =>
        client.PUT("/rollouts/{rolloutId}/status", {
          params: { path: { rolloutId } },
          body: { deviceId, status, ...(errorMessage ? { errorMessage: errorMessage.slice(0, 4000) } : {}) },
          signal,
        }),
      );
      if (data) return { kind: "acknowledged" };
      if (response.status === 409) {
        const currentStatus = String((error as { currentStatus?: unknown } | undefined)?.currentStatus ?? "unknown");
        return { kind: "conflict", currentStatus, message: messageOf(error, 409) };
      }
      throw new ApiRejectedError(`report ${status}: ${messageOf(error, response.status)}`, response.status);
    },

    async heartbeat(heartbeat) {
      const { data, error, response } = await call("heartbeat", (signal) =>
        client.POST("/devices/{deviceId}/heartbeat", {
          params: { path: { deviceId } },
          body: heartbeat,
          signal,
        }),
      );
      if (!data) throw new ApiRejectedError(`heartbeat: ${messageOf(error, response.status)}`, response.status);
    },
  };
}
