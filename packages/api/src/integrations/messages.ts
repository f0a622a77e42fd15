/**
 * The readable side of an event, for people (Slack-compatible messages and email): one sentence
 * that says what happened to which release, and a link into the dashboard. Pure: the payload a
 * delivery carries has everything it needs.
 */
export interface EventPayload {
  type: string;
  timestamp: string;
  data: Record<string, unknown> & {
    rolloutId?: string | null;
    deviceId?: string | null;
    bundleName?: string | null;
    version?: string | null;
  };
}

export interface Message {
  /** One line: the email subject, the Slack message's first line. */
  title: string;
  /** A sentence or two with the detail. */
  text: string;
  /** Where to look in the dashboard; null without a public URL. */
  link: string | null;
}

const str = (value: unknown): string | null => (typeof value === "string" && value ? value : null);
const num = (value: unknown): number | null => (typeof value === "number" && Number.isFinite(value) ? value : null);

function waveName(data: EventPayload["data"]): string {
  const name = str(data.name);
  const index = num(data.wave);
  const ordinal = index === null ? "a wave" : `wave ${index + 1}`;
  return name ? `${ordinal} (${name})` : ordinal;
}

const describe: Record<string, (data: EventPayload["data"]) => string> = {
  "rollout.created": (data) => `Created for ${num(data.devices) ?? "its"} devices.`,
  "rollout.scheduled": (data) => `Starts at ${str(data.startAt) ?? "its scheduled time"}.`,
  "rollout.wave_started": (data) =>
    `${capital(waveName(data))} started: ${num(data.size) ?? "its"} devices${str(data.advancedBy) ? `, advanced by ${data.advancedBy}` : ""}.`,
  "rollout.wave_passed": (data) =>
    `${capital(waveName(data))} passed: ${num(data.succeeded) ?? 0} succeeded, ${num(data.failed) ?? 0} failed of ${num(data.size) ?? "its"} devices.`,
  "rollout.paused": (data) => `Paused${str(data.reason) ? `: ${data.reason}` : "."}`,
  "rollout.resumed": () => "Resumed.",
  "rollout.threshold_breached": (data) =>
    `Failure threshold breached: ${num(data.failed) ?? "?"} of ${num(data.completed) ?? "?"} finished devices failed (${num(data.percent) ?? "?"} %); action: ${str(data.action) ?? "pause"}.`,
  "rollout.cancelled": (data) =>
    `Cancelled${str(data.reason) ? ` (${data.reason})` : ""}; ${num(data.cancelledDevices) ?? 0} devices will not update.`,
  "rollout.completed": (data) => `Completed: ${progressLine(data)}.`,
  "rollout.failed": (data) => `Finished with failures: ${progressLine(data)}.`,
  "rollout.rolled_back": (data) => `Rolled back${str(data.reason) ? `: ${data.reason}` : "."}`,
  "device.failed": (data) => `Device ${str(data.deviceId) ?? "?"} failed for good${str(data.error) ? `: ${data.error}` : "."}`,
  "device.timed_out": (data) => `Device ${str(data.deviceId) ?? "?"} timed out.`,
  "device.retry_scheduled": (data) =>
    `Device ${str(data.deviceId) ?? "?"} failed and is retried (attempt ${num(data.attempt) ?? "?"})${str(data.nextAttemptAt) ? ` at ${data.nextAttemptAt}` : ""}.`,
  "integration.disabled": (data) =>
    `The ${str(data.kind) ?? ""} integration ${str(data.target) ?? ""} was disabled: ${str(data.reason) ?? "it kept failing"}.`,
  "integration.test": () => "A test message from SignalBeam Edge: this integration is set up.",
};

/** `rollout.wave_started` → "wave started", `device.timed_out` → "device timed out". */
function labelOf(type: string): string {
  const [family, what = type] = type.split(".");
  return `${family === "device" ? "device " : ""}${what.replace(/_/g, " ")}`;
}

function capital(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function progressLine(data: EventPayload["data"]): string {
  const progress = (data.progress ?? {}) as Record<string, unknown>;
  return `${num(progress.succeeded) ?? 0} succeeded, ${num(progress.failed) ?? 0} failed, ${num(progress.cancelled) ?? 0} cancelled`;
}

export function describeEvent(payload: EventPayload, publicUrl: string | null): Message {
  const { data } = payload;
  const release = str(data.bundleName) ? `${data.bundleName}${str(data.version) ? ` ${data.version}` : ""}` : null;
  const subject = payload.type.startsWith("integration.")
    ? "SignalBeam Edge"
    : release
      ? `Rollout of ${release}`
      : `Rollout ${str(data.rolloutId) ?? ""}`.trim();
  const text = (describe[payload.type] ?? (() => payload.type))(data);
  const base = publicUrl?.replace(/\/+$/, "");
  const link = base && str(data.rolloutId) ? `${base}/rollouts/${data.rolloutId}` : null;
  return { title: `${subject}: ${labelOf(payload.type)}`, text, link };
}

/** A Slack incoming-webhook message (also accepted by Mattermost, Rocket.Chat and Teams workflows). */
export function slackMessage(message: Message): { text: string } {
  // Slack's mrkdwn link syntax; `text` alone is what every compatible receiver reads.
  const link = message.link ? `\n<${message.link}|Open in SignalBeam Edge>` : "";
  return { text: `*${escapeSlack(message.title)}*\n${escapeSlack(message.text)}${link}` };
}

/** Slack treats &, < and > as markup (https://api.slack.com/reference/surfaces/formatting#escaping). */
function escapeSlack(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

export function emailMessage(message: Message): { subject: string; text: string } {
  return {
    subject: `[SignalBeam Edge] ${message.title}`,
    text: `${message.text}\n${message.link ? `\n${message.link}\n` : ""}\n— SignalBeam Edge`,
  };
}
