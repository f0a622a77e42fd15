import { parse, serialize } from "cookie";

/** The dashboard's session cookie: httpOnly (scripts cannot read it) and SameSite=Strict. */
export const SESSION_COOKIE = "signalbeam_session";
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;

export const readCookie = (header: string | undefined, name: string): string | undefined =>
  header ? parse(header)[name] || undefined : undefined;

export const sessionCookie = (value: string, options: { secure: boolean; maxAgeSeconds: number }) =>
  serialize(SESSION_COOKIE, value, {
    httpOnly: true,
    sameSite: "strict",
    path: "/",
    secure: options.secure,
    maxAge: options.maxAgeSeconds,
  });

export const clearedSessionCookie = (options: { secure: boolean }) =>
  serialize(SESSION_COOKIE, "", { httpOnly: true, sameSite: "strict", path: "/", secure: options.secure, maxAge: 0 });
