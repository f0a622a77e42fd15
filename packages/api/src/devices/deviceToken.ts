import { createHash, randomBytes } from "node:crypto";

/**
 * Device tokens are 256 random bits, so a single fast SHA-256 is a sound way to store them (no
 * password-style stretching needed, and agents poll often). Only the hash is kept.
 */
export const DEVICE_TOKEN_PREFIX = "sbd_";

export const generateDeviceToken = () => DEVICE_TOKEN_PREFIX + randomBytes(32).toString("base64url");

export const hashDeviceToken = (token: string) => createHash("sha256").update(token).digest("hex");
