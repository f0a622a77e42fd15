import { Accordion, Group, NumberInput, Select, Stack, Switch, Text, TextInput } from "@mantine/core";
import { useEffect, useMemo, useState } from "react";
import { parseWaves, type Policy, presets } from "../lib/policy";

const timeZones: string[] = (() => {
  try {
    return (Intl as unknown as { supportedValuesOf(key: string): string[] }).supportedValuesOf("timeZone");
  } catch {
    return ["UTC", "Europe/Berlin", "America/New_York"];
  }
})();

/**
 * The Assign dialog's Strategy section: all at once (the default), a preset, or custom waves with
 * a canary label; then gate and soak, failure threshold, device timeout, retries, rate, start time
 * and a daily maintenance window. Reports the policy it builds (undefined: all at once) or a
 * problem to show before anything is sent.
 */
export function StrategySection({ onChange }: { onChange: (policy: Policy | undefined, problem: string | null) => void }) {
  const [strategy, setStrategy] = useState("all");
  const [custom, setCustom] = useState("1%, 10%, 100%");
  const [canaryLabel, setCanaryLabel] = useState("");
  const [gate, setGate] = useState<number | string>(95);
  const [soakMinutes, setSoakMinutes] = useState<number | string>(0);
  const [manual, setManual] = useState(false);
  const [threshold, setThreshold] = useState<number | string>("");
  const [minCompleted, setMinCompleted] = useState<number | string>(5);
  const [action, setAction] = useState<string | null>("pause");
  const [timeoutMinutes, setTimeoutMinutes] = useState<number | string>("");
  const [attempts, setAttempts] = useState<number | string>(1);
  const [rate, setRate] = useState<number | string>("");
  const [startAt, setStartAt] = useState("");
  const [windowStart, setWindowStart] = useState("");
  const [windowHours, setWindowHours] = useState<number | string>(4);
  const [timezone, setTimezone] = useState<string | null>(Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC");

  const result = useMemo((): { policy: Policy | undefined; problem: string | null } => {
    const preset = presets.find((entry) => entry.value === strategy);
    const waves = strategy === "custom" ? parseWaves(custom, canaryLabel) : (preset?.waves ?? null);
    if (typeof waves === "string") return { policy: undefined, problem: waves };
    const number = (value: number | string) => (value === "" ? undefined : Number(value));
    const policy: Policy = { waves: waves ?? [{ percent: 100 }] };
    if (waves && waves.length > 1) {
      policy.gate = { successPercent: number(gate) ?? 100, soakSeconds: (number(soakMinutes) ?? 0) * 60 };
      policy.advance = manual ? "manual" : "auto";
    }
    const failPercent = number(threshold);
    if (failPercent !== undefined)
      policy.failureThreshold = {
        percent: failPercent,
        minCompleted: number(minCompleted) ?? 1,
        action: (action ?? "pause") as "pause" | "abort" | "rollback",
      };
    const timeout = number(timeoutMinutes);
    if (timeout !== undefined) policy.deviceTimeoutSeconds = timeout * 60;
    const tries = number(attempts) ?? 1;
    if (tries > 1) policy.retry = { maxAttempts: tries, backoffSeconds: 60 };
    const perMinute = number(rate);
    if (perMinute !== undefined) policy.rate = { maxPerMinute: perMinute };
    const schedule: NonNullable<Policy["schedule"]> = {};
    if (startAt) schedule.startAt = new Date(startAt).toISOString();
    if (windowStart) {
      const time = /^(\d{1,2}):(\d{2})$/.exec(windowStart);
      if (!time) return { policy: undefined, problem: "the window's start must look like 01:00" };
      schedule.windows = [
        {
          cron: `${Number(time[2])} ${Number(time[1])} * * *`,
          durationMinutes: Math.round((number(windowHours) ?? 4) * 60),
          timezone: timezone ?? "UTC",
        },
      ];
    }
    if (schedule.startAt || schedule.windows) policy.schedule = schedule;
    const plain = !waves && Object.keys(policy).length === 1;
    return { policy: plain ? undefined : policy, problem: null };
  }, [
    strategy,
    custom,
    canaryLabel,
    gate,
    soakMinutes,
    manual,
    threshold,
    minCompleted,
    action,
    timeoutMinutes,
    attempts,
    rate,
    startAt,
    windowStart,
    windowHours,
    timezone,
  ]);

  useEffect(() => onChange(result.policy, result.problem), [result, onChange]);
  const staged = strategy !== "all";

  return (
    <Stack gap="xs">
      <Select
        label="Strategy"
        data={[...presets.map(({ value, label }) => ({ value, label })), { value: "custom", label: "Custom waves" }]}
        value={strategy}
        onChange={(value) => setStrategy(value ?? "all")}
        allowDeselect={false}
      />
      {strategy === "custom" && (
        <Group grow align="flex-start">
          <TextInput
            label="Waves"
            description="Cumulative: percents or device counts"
            value={custom}
            onChange={(event) => setCustom(event.currentTarget.value)}
          />
          <TextInput
            label="Canary label"
            description="Devices with it go first"
            placeholder="ring=canary"
            value={canaryLabel}
            onChange={(event) => setCanaryLabel(event.currentTarget.value)}
          />
        </Group>
      )}
      <Accordion variant="contained" chevronPosition="left">
        <Accordion.Item value="safety">
          <Accordion.Control>Gates, failures and timing</Accordion.Control>
          <Accordion.Panel>
            <Stack gap="xs">
              {staged && (
                <Group grow align="flex-end">
                  <NumberInput label="Gate: success %" min={0} max={100} value={gate} onChange={setGate} />
                  <NumberInput label="Soak (minutes)" min={0} max={10080} value={soakMinutes} onChange={setSoakMinutes} />
                  <Switch
                    label="Wait for approval between waves"
                    checked={manual}
                    onChange={(e) => setManual(e.currentTarget.checked)}
                  />
                </Group>
              )}
              <Group grow align="flex-end">
                <NumberInput
                  label="Failure threshold %"
                  placeholder="none"
                  min={0}
                  max={100}
                  value={threshold}
                  onChange={setThreshold}
                />
                <NumberInput label="After at least" suffix=" finished" min={1} value={minCompleted} onChange={setMinCompleted} />
                <Select
                  label="Then"
                  data={[
                    { value: "pause", label: "Pause" },
                    { value: "abort", label: "Cancel" },
                    { value: "rollback", label: "Roll back" },
                  ]}
                  value={action}
                  onChange={setAction}
                  allowDeselect={false}
                />
              </Group>
              <Group grow align="flex-end">
                <NumberInput
                  label="Device timeout (minutes)"
                  placeholder="none"
                  min={1}
                  value={timeoutMinutes}
                  onChange={setTimeoutMinutes}
                />
                <NumberInput label="Attempts per device" min={1} max={10} value={attempts} onChange={setAttempts} />
                <NumberInput label="At most devices a minute" placeholder="no limit" min={1} value={rate} onChange={setRate} />
              </Group>
              <Group grow align="flex-end">
                <TextInput
                  label="Start at"
                  type="datetime-local"
                  value={startAt}
                  onChange={(e) => setStartAt(e.currentTarget.value)}
                />
                <TextInput
                  label="Window opens at"
                  placeholder="01:00"
                  value={windowStart}
                  onChange={(e) => setWindowStart(e.currentTarget.value)}
                />
                <NumberInput label="for (hours)" min={0.25} max={24} step={0.5} value={windowHours} onChange={setWindowHours} />
                <Select label="Time zone" searchable data={timeZones} value={timezone} onChange={setTimezone} />
              </Group>
              <Text size="xs" c="dimmed">
                Devices already updating carry on outside the window; only new releases wait for it.
              </Text>
            </Stack>
          </Accordion.Panel>
        </Accordion.Item>
      </Accordion>
    </Stack>
  );
}
