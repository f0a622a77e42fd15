import nodemailer from "nodemailer";
import { type EventPayload, describeEvent, emailMessage, slackMessage } from "./messages";
import { parseRetryAfterMs } from "./retrySchedule";
import { signWebhook } from "./signing";

/** What one attempt needs to know about where it goes. */
export interface Destination {
  kind: "webhook" | "slack" | "email";
  target: string;
  /** Webhooks: the secrets that sign (current first, then one still rotating out). */
  secrets: string[];
}

export interface Attempt {
  /** `webhook-id`: the event id, the same on every retry (receivers deduplicate by it). */
  messageId: string;
  payload: EventPayload;
}

export interface Outcome {
  ok: boolean;
  /** HTTP status, or the SMTP reply code. */
  statusCode: number | null;
  error: string | null;
  durationMs: number;
  /** The receiver asked for a pause (429/503 with Retry-After). */
  retryAfterMs: number | null;
  /** 410 Gone: the receiver asks never to be called again. */
  gone: boolean;
}

export interface SenderOptions {
  /** SIGNALBEAM_PUBLIC_URL: the dashboard's address, for links in messages. */
  publicUrl?: string | undefined;
  /** SIGNALBEAM_SMTP_URL, e.g. smtp://user:pass@mail.example.com:587 or smtps://…; no email without it. */
  smtpUrl?: string | undefined;
  /** SIGNALBEAM_SMTP_FROM. */
  smtpFrom?: string | undefined;
  /** Per attempt (10 s by default). */
  timeoutMs?: number;
  clock?: () => Date;
}

export interface Sender {
  send(destination: Destination, attempt: Attempt): Promise<Outcome>;
  readonly emailConfigured: boolean;
  readonly timeoutMs: number;
  close(): void;
}

/** An error body is kept for the delivery log, but only its start. */
const ERROR_BODY_BYTES = 300;

export function createSender(options: SenderOptions = {}): Sender {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const clock = options.clock ?? (() => new Date());
  const mailer = options.smtpUrl
    ? nodemailer.createTransport(options.smtpUrl, {
        connectionTimeout: timeoutMs,
        greetingTimeout: timeoutMs,
        socketTimeout: timeoutMs,
      } as object)
    : undefined;
  const from = options.smtpFrom ?? "SignalBeam Edge <signalbeam@localhost>";
  const publicUrl = options.publicUrl ?? null;

  async function post(url: string, headers: Record<string, string>, body: string): Promise<Omit<Outcome, "durationMs">> {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", "user-agent": "SignalBeam-Edge-Webhooks/1", ...headers },
      body,
      // A redirect is an answer we do not follow: the subscription's URL should be the real one.
      redirect: "manual",
      signal: AbortSignal.timeout(timeoutMs),
    });
    const ok = response.status >= 200 && response.status < 300;
    const text = ok ? (await response.body?.cancel(), "") : await readStart(response);
    const retryAfterMs =
      response.status === 429 || response.status === 503 ? parseRetryAfterMs(response.headers.get("retry-after"), clock()) : null;
    return {
      ok,
      statusCode: response.status,
      error: ok ? null : `HTTP ${response.status}${text ? `: ${text}` : ""}`,
      retryAfterMs,
      gone: response.status === 410,
    };
  }

  async function attemptOnce(destination: Destination, attempt: Attempt): Promise<Omit<Outcome, "durationMs">> {
    if (destination.kind === "webhook") {
      const body = JSON.stringify(attempt.payload);
      return post(destination.target, { ...signWebhook(destination.secrets, attempt.messageId, clock(), body) }, body);
    }
    const message = describeEvent(attempt.payload, publicUrl);
    if (destination.kind === "slack") return post(destination.target, {}, JSON.stringify(slackMessage(message)));
    if (!mailer)
      return {
        ok: false,
        statusCode: null,
        error: "email is not configured: set SIGNALBEAM_SMTP_URL",
        retryAfterMs: null,
        gone: false,
      };
    const info = await mailer.sendMail({
      from,
      to: destination.target,
      ...emailMessage(message),
      headers: { "X-SignalBeam-Event": attempt.payload.type, "X-SignalBeam-Message-Id": attempt.messageId },
    });
    return {
      ok: true,
      statusCode: Number(String(info.response).slice(0, 3)) || 250,
      error: null,
      retryAfterMs: null,
      gone: false,
    };
  }

  return {
    emailConfigured: mailer !== undefined,
    timeoutMs,
    async send(destination, attempt) {
      const started = performance.now();
      try {
        const outcome = await attemptOnce(destination, attempt);
        return { ...outcome, durationMs: Math.round(performance.now() - started) };
      } catch (error) {
        return {
          ok: false,
          statusCode: smtpCode(error),
          error: describeError(error, timeoutMs),
          durationMs: Math.round(performance.now() - started),
          retryAfterMs: null,
          gone: false,
        };
      }
    },
    close() {
      mailer?.close();
    },
  };
}

async function readStart(response: Response): Promise<string> {
  const reader = response.body?.getReader();
  if (!reader) return "";
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < ERROR_BODY_BYTES) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.length;
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return Buffer.concat(chunks).toString("utf8").slice(0, ERROR_BODY_BYTES).replace(/\s+/g, " ").trim();
}

function smtpCode(error: unknown): number | null {
  const code = (error as { responseCode?: unknown }).responseCode;
  return typeof code === "number" ? code : null;
}

/** fetch says "fetch failed" and hides the reason in `cause`; the log should say what happened. */
function describeError(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError"))
    return `no answer within ${timeoutMs / 1000} s`;
  type Cause = { code?: string; message?: string; errors?: Cause[] };
  let cause = (error as { cause?: Cause }).cause;
  // Connecting to every address of a name fails as one AggregateError.
  if (cause && !cause.code && cause.errors?.length) cause = cause.errors[0];
  if (cause?.code)
    return cause.message?.includes(cause.code) ? cause.message : `${cause.code}${cause.message ? `: ${cause.message}` : ""}`;
  if (cause?.message) return cause.message;
  return error instanceof Error ? error.message : String(error);
}
