import { Card, Text, Timeline, Title } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { describeAuditEvent } from "../lib/audit";
import { formatTime } from "../lib/format";
import { useTRPC } from "../trpc";

/** Who created, retried and cancelled this rollout, and when: the audit trail, oldest first. */
export function RolloutTimeline({ rolloutId }: { rolloutId: string }) {
  const trpc = useTRPC();
  const events = useQuery(trpc.audit.list.queryOptions({ targetType: "rollout", targetId: rolloutId, pageSize: 200 }));
  const entries = [...(events.data?.data ?? [])].reverse();
  return (
    <Card withBorder data-testid="rollout-timeline">
      <Title order={4} mb="sm">
        Timeline
      </Title>
      {entries.length === 0 ? (
        <Text c="dimmed" size="sm">
          {events.isPending ? "Loading…" : "No recorded actions (rollouts made before the audit trail existed have none)."}
        </Text>
      ) : (
        <Timeline bulletSize={14} lineWidth={2} active={entries.length - 1}>
          {entries.map((event) => (
            <Timeline.Item key={event.id} title={describeAuditEvent(event)}>
              <Text size="xs" c="dimmed">
                {formatTime(event.at)} · {event.actor.name}
              </Text>
            </Timeline.Item>
          ))}
        </Timeline>
      )}
    </Card>
  );
}
