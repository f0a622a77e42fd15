import { randomBytes } from "node:crypto";
import { Webhook } from "standardwebhooks";

/**
 * Standard Webhooks signing (https://www.standardwebhooks.com): the secret is `whsec_` + base64 of
 * 24 random bytes; the signature is `v1,` + base64 HMAC-SHA256 of `id.timestamp.body` under the
 * decoded secret. During a rotation both secrets sign, space-separated, so a receiver holding
 * either verifies.
 */
export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(24).toString("base64")}`;
}

export interface SignedHeaders {
  "webhook-id": string;
  "webhook-timestamp": string;
  "webhook-signature": string;
}

/** Signers by secret (a Webhook decodes its key once); a handful of subscriptions, so never pruned but by size. */
const signers = new Map<string, Webhook>();
function signerOf(secret: string): Webhook {
  let signer = signers.get(secret);
  if (!signer) {
    if (signers.size >= 1000) signers.clear();
    signers.set(secret, (signer = new Webhook(secret)));
  }
  return signer;
}

export function signWebhook(secrets: readonly string[], id: string, at: Date, body: string): SignedHeaders {
  return {
    "webhook-id": id,
    "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
    "webhook-signature": secrets.map((secret) => signerOf(secret).sign(id, at, body)).join(" "),
  };
}
