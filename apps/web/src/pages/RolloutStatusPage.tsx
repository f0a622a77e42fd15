import {
  Alert,
  Anchor,
  Button,
  Card,
  Group,
  Modal,
  Pagination,
  Progress,
  SimpleGrid,
  Stack,
  Tabs,
  Text,
  Title,
} from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useSubscription } from "@trpc/tanstack-react-query";
import { useState } from "react";
import { Link, useParams } from "react-router";
import { useCan } from "../auth/identity";
import { DeviceStatusTable } from "../components/DeviceStatusTable";
import { RolloutTimeline } from "../components/RolloutTimeline";
import { StatusBadge } from "../components/StatusBadge";
import { fromServerSort, toServerSort } from "../lib/sorting";
import { type DeviceStatus, formatTime, isActive, percentDone } from "../lib/format";
import { useTRPC } from "../trpc";

const tabs: { value: "all" | DeviceStatus; label: string; count: (p: Progress) => number }[] = [
  { value: "all", label: "All", count: (p) => p.total },
  { value: "pending", label: "Pending", count: (p) => p.pending },
  { value: "updating", label: "Updating", count: (p) => p.inProgress },
  { value: "succeeded", label: "Succeeded", count: (p) => p.succeeded },
  { value: "failed", label: "Failed", count: (p) => p.failed },
  { value: "cancelled", label: "Cancelled", count: (p) => p.cancelled },
];
type Progress = { total: number; pending: number; inProgress: number; succeeded: number; failed: number; cancelled: number };

const PAGE_SIZE = 50;

export function RolloutStatusPage() {
  const { rolloutId = "" } = useParams();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [tab, setTab] = useState<"all" | DeviceStatus>("all");
  const [sort, setSort] = useState<string>("deviceName");
  const [page, setPage] = useState(1);
  const [confirming, setConfirming] = useState(false);
  const canOperate = useCan("operator");

  // Pushed changes refresh the page at once; while the push channel is down, it polls instead.
  const live = useSubscription(
    trpc.rollouts.onChange.subscriptionOptions(
      { rolloutId },
      {
        onData: () => {
          void queryClient.invalidateQueries({ queryKey: trpc.rollouts.pathKey() });
          void queryClient.invalidateQueries({ queryKey: trpc.audit.pathKey() });
        },
      },
    ),
  );
  const pollEvery = live.status === "pending" ? false : 5_000;

  const rollout = useQuery({
    ...trpc.rollouts.byId.queryOptions({ rolloutId, targets: "summary" }),
    // Polls while the rollout can still change (and nothing is pushed); stops once it is finished.
    refetchInterval: (query) => (query.state.data && isActive(query.state.data.status) ? pollEvery : false),
    retry: (count, error) => (error as { data?: { code?: string } }).data?.code !== "NOT_FOUND" && count < 2,
  });
  const devices = useQuery({
    ...trpc.rollouts.devices.queryOptions({
      rolloutId,
      status: tab === "all" ? undefined : tab,
      sort,
      page,
      pageSize: PAGE_SIZE,
    }),
    enabled: rollout.isSuccess,
    refetchInterval: rollout.data && isActive(rollout.data.status) ? pollEvery : false,
  });

  const bundle = useQuery({
    ...trpc.bundles.byId.queryOptions({ bundleId: rollout.data?.bundleId ?? "" }),
    enabled: rollout.isSuccess,
  });

  const refresh = () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: trpc.rollouts.pathKey() }),
      queryClient.invalidateQueries({ queryKey: trpc.audit.pathKey() }),
    ]);
  const cancel = useMutation(
    trpc.rollouts.cancel.mutationOptions({
      onSuccess: async () => {
        setConfirming(false);
        notifications.show({
          color: "orange",
          title: "Rollout cancelled",
          message: "Pending and updating devices were cancelled.",
        });
        await refresh();
      },
      onError: (error) => notifications.show({ color: "red", title: "Cancel failed", message: error.message }),
    }),
  );
  const retry = useMutation(
    trpc.rollouts.retry.mutationOptions({
      onSuccess: async () => {
        notifications.show({ color: "blue", title: "Retrying failed devices", message: "They are pending again." });
        await refresh();
      },
      onError: (error) => notifications.show({ color: "red", title: "Retry failed", message: error.message }),
    }),
  );

  if (rollout.error) {
    const notFound = (rollout.error as { data?: { code?: string } }).data?.code === "NOT_FOUND";
    return (
      <Stack>
        <Title order={2}>{notFound ? "Rollout not found" : "Could not load the rollout"}</Title>
        <Text>{notFound ? `There is no rollout with id ${rolloutId}.` : rollout.error.message}</Text>
        <Anchor component={Link} to="/rollouts">
          Back to rollouts
        </Anchor>
      </Stack>
    );
  }
  if (!rollout.data) return <Text>Loading…</Text>;

  const data = rollout.data;
  const done = percentDone(data.progress);

  return (
    <Stack>
      <Group justify="space-between" align="flex-start">
        <div>
          <Title order={2}>Rollout {data.id}</Title>
          <Text c="dimmed">
            {bundle.data?.name ?? "Bundle"} {data.version} · created {formatTime(data.createdAt)}
          </Text>
        </div>
        <Group>
          <Button variant="default" onClick={refresh}>
            Refresh
          </Button>
          {canOperate && (
            <>
              <Button
                variant="light"
                disabled={data.progress.failed === 0 || data.status === "cancelled"}
                loading={retry.isPending}
                onClick={() => retry.mutate({ rolloutId })}
              >
                Retry failed devices
              </Button>
              <Button color="red" disabled={!isActive(data.status)} onClick={() => setConfirming(true)}>
                Cancel Rollout
              </Button>
            </>
          )}
        </Group>
      </Group>

      <Card withBorder>
        <Group justify="space-between">
          <StatusBadge status={data.status} />
          <Text fw={600}>{done}% done</Text>
        </Group>
        <Progress value={done} mt="sm" aria-label={`${done}% of devices finished`} />
        <SimpleGrid cols={{ base: 3, sm: 6 }} mt="md">
          {tabs.map((entry) => (
            <div key={entry.value}>
              <Text size="xs" c="dimmed">
                {entry.value === "all" ? "Total" : entry.label}
              </Text>
              <Text fw={700} data-testid={`count-${entry.value}`}>
                {entry.count(data.progress)}
              </Text>
            </div>
          ))}
        </SimpleGrid>
      </Card>

      <Tabs value={tab} onChange={(value) => (setTab((value as typeof tab) ?? "all"), setPage(1))}>
        <Tabs.List>
          {tabs.map((entry) => (
            <Tabs.Tab key={entry.value} value={entry.value}>
              {entry.label} ({entry.count(data.progress)})
            </Tabs.Tab>
          ))}
        </Tabs.List>
      </Tabs>

      <DeviceStatusTable
        rows={devices.data?.devices ?? []}
        sorting={fromServerSort(sort)}
        onSortingChange={(sorting) => (setSort(toServerSort(sorting) ?? "deviceName"), setPage(1))}
      />
      {devices.data && devices.data.totalPages > 1 && (
        <Pagination total={devices.data.totalPages} value={page} onChange={setPage} />
      )}

      <RolloutTimeline rolloutId={rolloutId} />

      <Modal opened={confirming} onClose={() => setConfirming(false)} title="Cancel this rollout?">
        <Text>Pending and updating devices will be cancelled. Devices that have not started keep what they run now.</Text>
        <Group justify="flex-end" mt="md">
          <Button variant="default" onClick={() => setConfirming(false)}>
            Keep it running
          </Button>
          <Button color="red" loading={cancel.isPending} onClick={() => cancel.mutate({ rolloutId })}>
            Cancel Rollout
          </Button>
        </Group>
      </Modal>
      {cancel.error && <Alert color="red">{cancel.error.message}</Alert>}
    </Stack>
  );
}
