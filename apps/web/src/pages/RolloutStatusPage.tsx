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
import { lazy, Suspense, useEffect, useState } from "react";
import { Link, useParams } from "react-router";
import { useCan } from "../auth/identity";
import { DeviceStatusTable } from "../components/DeviceStatusTable";
import { RolloutTimeline } from "../components/RolloutTimeline";
import { StatusBadge } from "../components/StatusBadge";
import { WaveSteps } from "../components/WaveSteps";
import { describeWaiting } from "../lib/policy";
import { fromServerSort, toServerSort } from "../lib/sorting";
import { type DeviceStatus, formatTime, isActive, percentDone } from "../lib/format";
import { useTRPC } from "../trpc";

const tabs: { value: "all" | DeviceStatus; label: string; count: (p: Progress) => number }[] = [
  { value: "all", label: "All", count: (p) => p.total },
  { value: "queued", label: "Queued", count: (p) => p.queued },
  { value: "pending", label: "Pending", count: (p) => p.pending },
  { value: "updating", label: "Updating", count: (p) => p.inProgress },
  { value: "succeeded", label: "Succeeded", count: (p) => p.succeeded },
  { value: "failed", label: "Failed", count: (p) => p.failed },
  { value: "cancelled", label: "Cancelled", count: (p) => p.cancelled },
];
type Progress = {
  total: number;
  queued: number;
  pending: number;
  inProgress: number;
  succeeded: number;
  failed: number;
  cancelled: number;
};

const PAGE_SIZE = 50;

// The chart library loads only with the chart (see RolloutChart).
const RolloutChart = lazy(() => import("../components/RolloutChart"));

type Control = "cancel" | "pause" | "resume" | "advance" | "rollback";

export function RolloutStatusPage() {
  const { rolloutId = "" } = useParams();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [tab, setTab] = useState<"all" | DeviceStatus>("all");
  const [sort, setSort] = useState<string>("deviceName");
  const [page, setPage] = useState(1);
  const [confirming, setConfirming] = useState<null | Control>(null);
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000); // the countdowns
    return () => clearInterval(timer);
  }, []);
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
        setConfirming(null);
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
  const control = (name: string, message: string) => ({
    onSuccess: async () => {
      setConfirming(null);
      notifications.show({ color: "blue", title: name, message });
      await refresh();
    },
    onError: (error: { message: string }) =>
      notifications.show({ color: "red", title: `${name}: refused`, message: error.message }),
  });
  const pause = useMutation(trpc.rollouts.pause.mutationOptions(control("Rollout paused", "No more devices are released.")));
  const resume = useMutation(trpc.rollouts.resume.mutationOptions(control("Rollout resumed", "Devices are released again.")));
  const advance = useMutation(
    trpc.rollouts.advance.mutationOptions(control("Next wave started", "Its devices are released now.")),
  );
  const rollback = useMutation(
    trpc.rollouts.rollback.mutationOptions({
      ...control("Rolled back", "Devices that started it go back to their previous version."),
      onSuccess: async (result) => {
        setConfirming(null);
        notifications.show({
          color: "grape",
          title: "Rolled back",
          message: `${result.rollouts.reduce((sum, r) => sum + r.progress.total, 0)} devices go back to their previous version.`,
        });
        await refresh();
      },
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
  const staged = data.policy !== null;
  const active = isActive(data.status);
  const waiting = describeWaiting(data, now);
  const hasNextWave = data.waves.length > 0 && (data.currentWave ?? -1) < data.waves.length - 1;
  const mayRollBack = data.kind === "standard" && data.rolledBackBy.length === 0 && data.progress.total > data.progress.queued;
  const confirmations: Record<
    Control,
    { title: string; text: string; button: string; colour: string; run: () => void; busy: boolean }
  > = {
    cancel: {
      title: "Cancel this rollout?",
      text: "Queued, pending and updating devices will be cancelled. Devices that have not started keep what they run now.",
      button: "Cancel Rollout",
      colour: "red",
      run: () => cancel.mutate({ rolloutId }),
      busy: cancel.isPending,
    },
    pause: {
      title: "Pause this rollout?",
      text: "No more devices are released until you resume. Devices already updating carry on.",
      button: "Pause",
      colour: "yellow",
      run: () => pause.mutate({ rolloutId }),
      busy: pause.isPending,
    },
    resume: {
      title: "Resume this rollout?",
      text: "Devices are released again. The failure threshold counts only failures from now on.",
      button: "Resume",
      colour: "blue",
      run: () => resume.mutate({ rolloutId }),
      busy: resume.isPending,
    },
    advance: {
      title: `Start wave ${(data.currentWave ?? -1) + 2} now?`,
      text: "The next wave starts without waiting for this wave's gate, soak or approval. Maintenance windows and the rate limit still apply.",
      button: "Start next wave",
      colour: "blue",
      run: () => advance.mutate({ rolloutId }),
      busy: advance.isPending,
    },
    rollback: {
      title: "Roll back this rollout?",
      text: "The rollout is cancelled, and every device that started it is sent back to the version it ran before, by a new rollout. Devices that had no previous version are left alone.",
      button: "Roll back",
      colour: "grape",
      run: () => rollback.mutate({ rolloutId }),
      busy: rollback.isPending,
    },
  };
  const confirm = confirming ? confirmations[confirming] : null;

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
              {staged && active && !data.pausedReason && (
                <Button variant="light" color="yellow" onClick={() => setConfirming("pause")}>
                  Pause
                </Button>
              )}
              {staged && data.status === "paused" && (
                <Button variant="light" onClick={() => setConfirming("resume")}>
                  Resume
                </Button>
              )}
              {staged && active && data.status !== "paused" && hasNextWave && (
                <Button variant="light" onClick={() => setConfirming("advance")}>
                  Advance
                </Button>
              )}
              {mayRollBack && (
                <Button variant="light" color="grape" onClick={() => setConfirming("rollback")}>
                  Roll back
                </Button>
              )}
              <Button color="red" disabled={!active} onClick={() => setConfirming("cancel")}>
                Cancel Rollout
              </Button>
            </>
          )}
        </Group>
      </Group>

      {data.pausedReason && (
        <Alert color="yellow" title="Paused" data-testid="paused-reason">
          {data.pausedReason}
        </Alert>
      )}
      {data.rollbackOf && (
        <Text>
          Rolls back{" "}
          <Anchor component={Link} to={`/rollouts/${data.rollbackOf}`}>
            rollout {data.rollbackOf}
          </Anchor>
        </Text>
      )}
      {data.rolledBackBy.map((id) => (
        <Text key={id}>
          Rolled back by{" "}
          <Anchor component={Link} to={`/rollouts/${id}`}>
            rollout {id}
          </Anchor>
        </Text>
      ))}
      <Card withBorder>
        <Group justify="space-between">
          <Group>
            <StatusBadge status={data.status} />
            {waiting && active && (
              <Text size="sm" data-testid="waiting-for">
                {waiting}
              </Text>
            )}
          </Group>
          <Text fw={600}>{done}% done</Text>
        </Group>
        <Progress value={done} mt="sm" aria-label={`${done}% of devices finished`} />
        <SimpleGrid cols={{ base: 3, sm: 7 }} mt="md">
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

      <WaveSteps rollout={data} />
      <Suspense fallback={null}>
        <RolloutChart rolloutId={rolloutId} />
      </Suspense>

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

      <Modal opened={confirm !== null} onClose={() => setConfirming(null)} title={confirm?.title}>
        <Text>{confirm?.text}</Text>
        <Group justify="flex-end" mt="md">
          <Button variant="default" onClick={() => setConfirming(null)}>
            {confirming === "cancel" ? "Keep it running" : "Back"}
          </Button>
          <Button color={confirm?.colour} loading={confirm?.busy} onClick={() => confirm?.run()}>
            {confirm?.button}
          </Button>
        </Group>
      </Modal>
      {cancel.error && <Alert color="red">{cancel.error.message}</Alert>}
    </Stack>
  );
}
