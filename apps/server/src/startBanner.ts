import type { BootstrapResult } from "@signalbeam/api";

/**
 * What the first start of an empty database prints: how to sign in. Generated secrets appear here
 * once and nowhere else (not in the log, not in the database, which keeps only hashes).
 */
export function startBanner(url: string, bootstrap: BootstrapResult): string {
  const lines = [
    "",
    "  First start: created the operator account and an admin API key.",
    `    Dashboard   ${url}  user ${bootstrap.username}, password ${bootstrap.generatedPassword ?? "from SIGNALBEAM_ADMIN_PASSWORD"}`,
    `    API key     ${bootstrap.generatedToken ?? "from SIGNALBEAM_ADMIN_TOKEN"}   (Authorization: Bearer …)`,
  ];
  if (bootstrap.generatedPassword || bootstrap.generatedToken)
    lines.push(
      "  Store them now: they are not shown again. Create more users and keys under Access, or POST /api/users and /api/api-keys.",
    );
  return `${lines.join("\n")}\n\n`;
}
