/**
 * Agent settings, from flags or the environment under the same names: `--api-url` or
 * SIGNALBEAM_API_URL, and so on (flags win). Pure: returns the settings or the problems, each
 * naming its setting, so `main` prints one line per problem and exits 2.
 */
export interface AgentConfig {
  apiUrl: string;
  deviceId: string;
  deviceToken: string;
  pollIntervalMs: number;
  stateDir: string;
  dockerHost: string | undefined;
  logLevel: string;
  settleMs: number;
  startTimeoutMs: number;
}

interface Setting {
  env: string;
  flag: string;
  required?: boolean;
}

const settings = {
  apiUrl: { env: "SIGNALBEAM_API_URL", flag: "--api-url", required: true },
  deviceId: { env: "SIGNALBEAM_DEVICE_ID", flag: "--device-id", required: true },
  deviceToken: { env: "SIGNALBEAM_DEVICE_TOKEN", flag: "--device-token", required: true },
  pollInterval: { env: "SIGNALBEAM_POLL_INTERVAL", flag: "--poll-interval" },
  stateDir: { env: "SIGNALBEAM_STATE_DIR", flag: "--state-dir" },
  dockerHost: { env: "DOCKER_HOST", flag: "--docker-host" },
  logLevel: { env: "LOG_LEVEL", flag: "--log-level" },
  settle: { env: "SIGNALBEAM_SETTLE_SECONDS", flag: "--settle-seconds" },
  startTimeout: { env: "SIGNALBEAM_START_TIMEOUT", flag: "--start-timeout" },
} satisfies Record<string, Setting>;

export type ConfigResult = { ok: true; config: AgentConfig } | { ok: false; errors: string[] };

function readFlags(argv: string[]): { values: Map<string, string>; errors: string[] } {
  const known = new Set(Object.values(settings).map((setting) => setting.flag));
  const values = new Map<string, string>();
  const errors: string[] = [];
  for (let index = 0; index < argv.length; index++) {
    const argument = argv[index]!;
    const [flag, inline] = argument.split(/=(.*)/s, 2) as [string, string | undefined];
    if (!known.has(flag)) {
      errors.push(`unknown option ${flag} (options: ${[...known].join(", ")})`);
      continue;
    }
    const value = inline ?? argv[++index];
    if (value === undefined) errors.push(`${flag} needs a value`);
    else values.set(flag, value);
  }
  return { values, errors };
}

export function parseAgentConfig(env: Record<string, string | undefined>, argv: string[]): ConfigResult {
  const { values, errors } = readFlags(argv);
  const read = (setting: Setting) => {
    const value = values.get(setting.flag) ?? env[setting.env];
    return value === undefined || value.trim() === "" ? undefined : value.trim();
  };
  const label = (setting: Setting) => `${setting.env} (${setting.flag})`;

  for (const setting of Object.values(settings) as Setting[])
    if (setting.required && read(setting) === undefined) errors.push(`${label(setting)} is required`);

  const apiUrl = read(settings.apiUrl);
  if (apiUrl !== undefined && !/^https?:\/\/[^\s/]+/.test(apiUrl))
    errors.push(`${label(settings.apiUrl)} must be an http(s) URL such as http://localhost:5002, got "${apiUrl}"`);

  const deviceId = read(settings.deviceId);
  if (deviceId !== undefined && !/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/.test(deviceId))
    errors.push(`${label(settings.deviceId)} is not a valid device id: "${deviceId}"`);

  const seconds = (setting: Setting, fallback: number, min: number) => {
    const text = read(setting);
    if (text === undefined) return fallback;
    const value = Number(text);
    if (!Number.isFinite(value) || value < min) {
      errors.push(`${label(setting)} must be a number of seconds ≥ ${min}, got "${text}"`);
      return fallback;
    }
    return value;
  };
  const pollSeconds = seconds(settings.pollInterval, 60, 1);
  const settleSeconds = seconds(settings.settle, 2, 0);
  const startTimeoutSeconds = seconds(settings.startTimeout, 60, 1);

  const dockerHost = read(settings.dockerHost);
  if (dockerHost !== undefined && !/^(unix|tcp|https?):\/\//.test(dockerHost))
    errors.push(`${label(settings.dockerHost)} must be unix:///path/to.sock or tcp://host:port, got "${dockerHost}"`);

  if (errors.length) return { ok: false, errors };
  return {
    ok: true,
    config: {
      apiUrl: apiUrl!.replace(/\/+$/, ""),
      deviceId: deviceId!,
      deviceToken: read(settings.deviceToken)!,
      pollIntervalMs: pollSeconds * 1000,
      stateDir: read(settings.stateDir) ?? ".signalbeam-agent",
      dockerHost,
      logLevel: read(settings.logLevel) ?? "info",
      settleMs: settleSeconds * 1000,
      startTimeoutMs: startTimeoutSeconds * 1000,
    },
  };
}
