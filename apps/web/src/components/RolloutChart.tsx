import "@mantine/charts/styles.css";
import { AreaChart } from "@mantine/charts";
import { Card, Text } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "../trpc";

const clock = (iso: string) => new Date(iso).toLocaleTimeString("en-GB", { timeZone: "UTC", hour: "2-digit", minute: "2-digit" });

/**
 * Succeeded and failed devices over time (cumulative), from GET /rollouts/{id}/history. Loaded on
 * demand (React.lazy): the chart library (@mantine/charts on recharts) stays out of the main bundle.
 */
export default function RolloutChart({ rolloutId }: { rolloutId: string }) {
  const trpc = useTRPC();
  // Refreshed with the rest of the page when the rollout changes (its live updates invalidate every rollouts query).
  const history = useQuery(trpc.rollouts.history.queryOptions({ rolloutId }));
  const points = (history.data?.points ?? []).map((point) => ({ ...point, time: clock(point.at) }));
  return (
    <Card withBorder data-testid="rollout-chart">
      <Text fw={600} mb="xs">
        Succeeded and failed over time
      </Text>
      {points.length > 1 ? (
        <AreaChart
          h={180}
          data={points}
          dataKey="time"
          withDots={false}
          curveType="stepAfter"
          series={[
            { name: "succeeded", color: "green.6" },
            { name: "failed", color: "red.6" },
          ]}
        />
      ) : (
        <Text size="sm" c="dimmed">
          Nothing finished yet.
        </Text>
      )}
    </Card>
  );
}
