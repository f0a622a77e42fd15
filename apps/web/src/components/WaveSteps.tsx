import { Badge, Card, Group, Progress, SimpleGrid, Text } from "@mantine/core";
import { formatTime } from "../lib/format";
import type { Rollout } from "../lib/policy";

/** A staged rollout's waves as steps: each with its own progress bar, start and pass times. */
export function WaveSteps({ rollout }: { rollout: Rollout }) {
  if (rollout.waves.length === 0) return null;
  return (
    <SimpleGrid cols={{ base: 1, sm: Math.min(rollout.waves.length, 4) }} data-testid="waves">
      {rollout.waves.map((wave) => {
        const { succeeded, failed, inProgress, pending } = wave.progress;
        const pct = (count: number) => (wave.size ? (100 * count) / wave.size : 0);
        const state = wave.passedAt ? "passed" : wave.startedAt ? "running" : "waiting";
        return (
          <Card key={wave.index} withBorder padding="sm" data-testid={`wave-${wave.index}`} data-state={state}>
            <Group justify="space-between">
              <Text fw={600}>
                Wave {wave.index + 1}
                {wave.name ? ` · ${wave.name}` : ""}
              </Text>
              <Badge color={state === "passed" ? "green" : state === "running" ? "blue" : "gray"} variant="light">
                {state}
              </Badge>
            </Group>
            <Text size="sm" c="dimmed">
              {wave.size} devices · {succeeded} succeeded · {failed} failed · {inProgress + pending} in flight
            </Text>
            <Progress.Root mt="xs" aria-label={`wave ${wave.index + 1}: ${succeeded} of ${wave.size} succeeded`}>
              <Progress.Section value={pct(succeeded)} color="green" />
              <Progress.Section value={pct(failed)} color="red" />
              <Progress.Section value={pct(inProgress + pending)} color="blue" />
            </Progress.Root>
            <Text size="xs" c="dimmed" mt="xs">
              Started {formatTime(wave.startedAt)}
              {wave.passedAt ? ` · passed ${formatTime(wave.passedAt)}` : ""}
            </Text>
          </Card>
        );
      })}
    </SimpleGrid>
  );
}
