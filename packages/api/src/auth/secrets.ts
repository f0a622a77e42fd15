import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

/**
 * Bearer secrets (device tokens, API keys, session cookies) are 256 random bits. Guessing one is
 * hopeless, so a single fast SHA-256 is a sound way to store them: no password-style stretching
 * on a path agents hit every few seconds. Only the hash is ever stored.
 */
export const randomSecret = () => randomBytes(32).toString("base64url");

export const sha256Hex = (value: string) => createHash("sha256").update(value).digest("hex");

/** Constant-time comparison of two hex digests (of equal length by construction). */
export function digestsEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, "hex");
  const right = Buffer.from(b, "hex");
  return left.length === right.length && left.length > 0 && timingSafeEqual(left, right);
}

/** What kind of credential a bearer value is, told by its prefix. */
export type CredentialKind = "device" | "apiKey" | "unknown";

const DEVICE_TOKEN_PREFIX = "sbd_";
const API_KEY_PREFIX = "sbk_";

export const generateDeviceToken = () => DEVICE_TOKEN_PREFIX + randomSecret();

export const credentialKind = (value: string): CredentialKind =>
  value.startsWith(DEVICE_TOKEN_PREFIX) ? "device" : value.startsWith(API_KEY_PREFIX) ? "apiKey" : "unknown";

/**
 * API keys are `sbk_<12 hex>_<secret>`: the first part is a public lookup id (listed, logged,
 * recognisable in a leak report), the rest is compared by hash in constant time.
 */
// Generated secrets are 43 characters; 16–128 admits an operator-chosen SIGNALBEAM_ADMIN_TOKEN.
const apiKeyPattern = /^sbk_([0-9a-f]{12})_([A-Za-z0-9_-]{16,128})$/;

export function generateApiKey(): { key: string; prefix: string; secretHash: string } {
  const lookup = randomBytes(6).toString("hex");
  const secret = randomSecret();
  return { key: `${API_KEY_PREFIX}${lookup}_${secret}`, prefix: `${API_KEY_PREFIX}${lookup}`, secretHash: sha256Hex(secret) };
}

export function parseApiKey(key: string): { prefix: string; secret: string } | undefined {
  const match = apiKeyPattern.exec(key);
  return match ? { prefix: `${API_KEY_PREFIX}${match[1]}`, secret: match[2]! } : undefined;
}
