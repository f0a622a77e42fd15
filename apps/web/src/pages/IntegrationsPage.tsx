import {
  Alert,
  Badge,
  Button,
  Code,
  CopyButton,
  Group,
  Modal,
  MultiSelect,
  SegmentedControl,
  Stack,
  Switch,
  Table,
  Tabs,
  Text,
  TextInput,
  Title,
  Tooltip,
} from "@mantine/core";
import { notifications } from "@mantine/notifications";
import type { RouterOutputs } from "@signalbeam/api";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { formatTime } from "../lib/format";
import { eventTypeOptions, healthOf } from "../lib/integrations";
import { useTRPC } from "../trpc";

type Webhook = RouterOutputs["webhooks"]["list"]["data"][number];
type Channel = RouterOutputs["notificationChannels"]["list"]["data"][number];
type Delivery = RouterOutputs["webhooks"]["deliveries"]["data"][number];

/** Lists, health and logs refresh this often, so a delivery shows up while the page is open. */
const REFRESH_MS = 3000;

/** Admins: signed webhooks and notification channels, their health and delivery logs. */
export function IntegrationsPage() {
  return (
    <Stack>
      <Title order={2}>Integrations</Title>
      <Text size="sm" c="dimmed">
        Every change to a rollout is an event. Webhooks receive them signed (Standard Webhooks); Slack-compatible channels and
        email receive a readable summary with a link back here.
      </Text>
      <Tabs defaultValue="webhooks" keepMounted={false}>
        <Tabs.List>
          <Tabs.Tab value="webhooks">Webhooks</Tabs.Tab>
          <Tabs.Tab value="channels">Slack and email</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="webhooks" pt="md">
          <Webhooks />
        </Tabs.Panel>
        <Tabs.Panel value="channels" pt="md">
          <Channels />
        </Tabs.Panel>
      </Tabs>
    </Stack>
  );
}

function HealthBadge({ integration }: { integration: Webhook | Channel }) {
  const health = healthOf(integration);
  const badge = (
    <Badge color={health.colour} variant="light" data-testid="integration-health">
      {health.label}
    </Badge>
  );
  return health.detail ? <Tooltip label={health.detail}>{badge}</Tooltip> : badge;
}

interface FormValues {
  target: string;
  eventTypes: string[];
  description: string;
  enabled: boolean;
  kind: "slack" | "email";
}

/** Create or edit: the same fields for a webhook (URL) and a channel (Slack URL or email address). */
function IntegrationForm({
  initial,
  channel,
  submitLabel,
  pending,
  error,
  onSubmit,
}: {
  initial: FormValues;
  channel: boolean;
  submitLabel: string;
  pending: boolean;
  error: string | undefined;
  onSubmit: (values: FormValues) => void;
}) {
  const [values, setValues] = useState(initial);
  const set = (patch: Partial<FormValues>) => setValues((current) => ({ ...current, ...patch }));
  const submit = (event: FormEvent) => {
    event.preventDefault();
    onSubmit(values);
  };
  return (
    <Stack component="form" onSubmit={submit}>
      {channel && (
        <SegmentedControl
          value={values.kind}
          onChange={(kind) => set({ kind: kind as FormValues["kind"] })}
          data={[
            { value: "slack", label: "Slack-compatible" },
            { value: "email", label: "Email" },
          ]}
        />
      )}
      <TextInput
        label={channel ? (values.kind === "email" ? "Email address" : "Incoming-webhook URL") : "URL"}
        description={
          channel
            ? values.kind === "email"
              ? "Sent through the server's SMTP server (SIGNALBEAM_SMTP_URL)"
              : "Slack, Mattermost, Rocket.Chat or a Teams workflow"
            : "Events are POSTed here, signed with the secret shown after you save"
        }
        placeholder={channel && values.kind === "email" ? "oncall@example.com" : "https://ci.example.com/hooks/signalbeam"}
        value={values.target}
        onChange={(event) => set({ target: event.currentTarget.value })}
        required
      />
      <MultiSelect
        label="Events"
        data={eventTypeOptions}
        value={values.eventTypes}
        onChange={(eventTypes) => set({ eventTypes })}
        placeholder={values.eventTypes.length ? undefined : "Pick events"}
        searchable
      />
      <TextInput
        label="Description"
        value={values.description}
        onChange={(event) => set({ description: event.currentTarget.value })}
      />
      <Switch label="Enabled" checked={values.enabled} onChange={(event) => set({ enabled: event.currentTarget.checked })} />
      {error && <Alert color="red">{error}</Alert>}
      <Group justify="flex-end">
        <Button type="submit" loading={pending}>
          {submitLabel}
        </Button>
      </Group>
    </Stack>
  );
}

const emptyForm: FormValues = { target: "", eventTypes: ["rollout.*"], description: "", enabled: true, kind: "slack" };

function Webhooks() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const hooks = useQuery({
    ...trpc.webhooks.list.queryOptions({ page: 1, pageSize: 100 }),
    refetchInterval: REFRESH_MS,
  });
  const [creating, setCreating] = useState(false);
  const [editing, setEditing] = useState<Webhook | null>(null);
  const [secret, setSecret] = useState<{ title: string; secret: string } | null>(null);
  const [logOf, setLogOf] = useState<Webhook | null>(null);
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.webhooks.pathKey() });
  const failed = (title: string) => (error: { message: string }) =>
    notifications.show({ color: "red", title, message: error.message });

  const create = useMutation(
    trpc.webhooks.create.mutationOptions({
      onSuccess: async (hook) => {
        setCreating(false);
        setSecret({ title: `Signing secret for ${hook.url}`, secret: hook.secret });
        await refresh();
      },
    }),
  );
  const update = useMutation(
    trpc.webhooks.update.mutationOptions({
      onSuccess: async () => {
        setEditing(null);
        await refresh();
      },
    }),
  );
  const remove = useMutation(trpc.webhooks.delete.mutationOptions({ onSuccess: refresh, onError: failed("Delete failed") }));
  const rotate = useMutation(
    trpc.webhooks.rotateSecret.mutationOptions({
      onSuccess: async (rotated) => {
        setSecret({
          title: "New signing secret",
          secret: rotated.secret,
        });
        notifications.show({
          color: "blue",
          title: "Secret rotated",
          message: `The old secret keeps signing beside the new one until ${formatTime(rotated.previousSecretExpiresAt)}.`,
        });
        await refresh();
      },
      onError: failed("Rotation failed"),
    }),
  );
  const test = useMutation(
    trpc.webhooks.test.mutationOptions({
      onSuccess: (delivery) => showTestResult(delivery),
      onError: failed("Test failed"),
    }),
  );

  return (
    <Stack>
      <Group>
        <Button onClick={() => setCreating(true)}>Add webhook</Button>
      </Group>
      {hooks.error && <Alert color="red">{hooks.error.message}</Alert>}
      {hooks.data?.data.length === 0 && <Text c="dimmed">No webhooks yet.</Text>}
      {!!hooks.data?.data.length && (
        <Table striped>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>URL</Table.Th>
              <Table.Th>Events</Table.Th>
              <Table.Th>Health</Table.Th>
              <Table.Th>Last success</Table.Th>
              <Table.Th />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {hooks.data.data.map((hook) => (
              <Table.Tr key={hook.id} data-testid="webhook-row">
                <Table.Td>
                  <Text size="sm" style={{ wordBreak: "break-all" }}>
                    {hook.url}
                  </Text>
                  {hook.description && (
                    <Text size="xs" c="dimmed">
                      {hook.description}
                    </Text>
                  )}
                </Table.Td>
                <Table.Td>
                  <Text size="xs">{hook.eventTypes.join(", ")}</Text>
                </Table.Td>
                <Table.Td>
                  <HealthBadge integration={hook} />
                </Table.Td>
                <Table.Td>{formatTime(hook.lastSuccessAt)}</Table.Td>
                <Table.Td>
                  <Group gap="xs" wrap="nowrap">
                    <Button size="xs" variant="light" onClick={() => setLogOf(hook)}>
                      Deliveries
                    </Button>
                    <Button
                      size="xs"
                      variant="light"
                      loading={test.isPending}
                      onClick={() => test.mutate({ webhookId: hook.id })}
                    >
                      Send test
                    </Button>
                    <Button size="xs" variant="default" onClick={() => setEditing(hook)}>
                      Edit
                    </Button>
                    <Button size="xs" variant="default" onClick={() => rotate.mutate({ webhookId: hook.id })}>
                      Rotate secret
                    </Button>
                    <Button
                      size="xs"
                      color="red"
                      variant="light"
                      onClick={() => {
                        if (window.confirm(`Delete the webhook to ${hook.url} and its delivery log?`))
                          remove.mutate({ webhookId: hook.id });
                      }}
                    >
                      Delete
                    </Button>
                  </Group>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      <Modal opened={creating} onClose={() => setCreating(false)} title="Add webhook" size="lg">
        <IntegrationForm
          initial={emptyForm}
          channel={false}
          submitLabel="Save"
          pending={create.isPending}
          error={create.error?.message}
          onSubmit={(values) =>
            create.mutate({
              url: values.target,
              eventTypes: values.eventTypes,
              description: values.description,
              enabled: values.enabled,
            })
          }
        />
      </Modal>
      <Modal opened={editing !== null} onClose={() => setEditing(null)} title="Edit webhook" size="lg">
        {editing && (
          <IntegrationForm
            initial={{ ...emptyForm, ...editing, target: editing.url }}
            channel={false}
            submitLabel="Save"
            pending={update.isPending}
            error={update.error?.message}
            onSubmit={(values) =>
              update.mutate({
                webhookId: editing.id,
                url: values.target,
                eventTypes: values.eventTypes,
                description: values.description,
                enabled: values.enabled,
              })
            }
          />
        )}
      </Modal>
      <Modal opened={secret !== null} onClose={() => setSecret(null)} title={secret?.title} size="lg">
        <Stack>
          <Text size="sm">
            Copy it now: it is shown this once. Your receiver verifies each delivery&apos;s <Code>webhook-signature</Code> with it
            (see the README, &quot;Integrations&quot;).
          </Text>
          <Code block data-testid="webhook-secret">
            {secret?.secret}
          </Code>
          <Group justify="flex-end">
            <CopyButton value={secret?.secret ?? ""}>
              {({ copied, copy }) => <Button onClick={copy}>{copied ? "Copied" : "Copy"}</Button>}
            </CopyButton>
            <Button variant="default" onClick={() => setSecret(null)}>
              Done
            </Button>
          </Group>
        </Stack>
      </Modal>
      <Modal opened={logOf !== null} onClose={() => setLogOf(null)} title={`Deliveries to ${logOf?.url}`} size="90%">
        {logOf && <WebhookLog webhookId={logOf.id} />}
      </Modal>
    </Stack>
  );
}

function showTestResult(delivery: Delivery) {
  notifications.show(
    delivery.status === "succeeded"
      ? { color: "green", title: "Test delivered", message: `Answered ${delivery.statusCode} in ${delivery.durationMs} ms.` }
      : { color: "red", title: "Test failed", message: delivery.error ?? `Answered ${delivery.statusCode}` },
  );
}

function WebhookLog({ webhookId }: { webhookId: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const log = useQuery({
    ...trpc.webhooks.deliveries.queryOptions({ webhookId, page: 1, pageSize: 50 }),
    refetchInterval: REFRESH_MS,
  });
  const redeliver = useMutation(
    trpc.webhooks.redeliver.mutationOptions({
      onSuccess: async () => {
        notifications.show({ color: "blue", title: "Queued", message: "Sent again with its original webhook-id." });
        await queryClient.invalidateQueries({ queryKey: trpc.webhooks.pathKey() });
      },
      onError: (error) => notifications.show({ color: "red", title: "Redeliver failed", message: error.message }),
    }),
  );
  return (
    <DeliveryTable
      deliveries={log.data?.data}
      error={log.error?.message}
      onRedeliver={(delivery) => redeliver.mutate({ webhookId, deliveryId: delivery.id })}
    />
  );
}

const deliveryColour = { succeeded: "green", pending: "yellow", failed: "red" } as const;

function DeliveryTable({
  deliveries,
  error,
  onRedeliver,
}: {
  deliveries: Delivery[] | undefined;
  error: string | undefined;
  onRedeliver?: (delivery: Delivery) => void;
}) {
  if (error) return <Alert color="red">{error}</Alert>;
  if (deliveries?.length === 0) return <Text c="dimmed">Nothing sent yet.</Text>;
  return (
    <Table striped data-testid="delivery-log">
      <Table.Thead>
        <Table.Tr>
          <Table.Th>Event</Table.Th>
          <Table.Th>Status</Table.Th>
          <Table.Th>Attempts</Table.Th>
          <Table.Th>Answer</Table.Th>
          <Table.Th>Took</Table.Th>
          <Table.Th>Last attempt</Table.Th>
          <Table.Th>Next attempt</Table.Th>
          {onRedeliver && <Table.Th />}
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {deliveries?.map((delivery) => (
          <Table.Tr key={delivery.id} data-testid="delivery-row">
            <Table.Td>
              <Code>{delivery.eventType}</Code>
              {delivery.eventId !== null && (
                <Text size="xs" c="dimmed">
                  event {delivery.eventId}
                </Text>
              )}
            </Table.Td>
            <Table.Td>
              <Badge color={deliveryColour[delivery.status]} variant="light">
                {delivery.status}
              </Badge>
            </Table.Td>
            <Table.Td>{delivery.attempt}</Table.Td>
            <Table.Td>
              {delivery.statusCode ?? "—"}
              {delivery.error && (
                <Text size="xs" c="red" style={{ wordBreak: "break-word" }}>
                  {delivery.error}
                </Text>
              )}
            </Table.Td>
            <Table.Td>{delivery.durationMs === null ? "—" : `${delivery.durationMs} ms`}</Table.Td>
            <Table.Td>{formatTime(delivery.at)}</Table.Td>
            <Table.Td>{formatTime(delivery.nextAttemptAt)}</Table.Td>
            {onRedeliver && (
              <Table.Td>
                {delivery.eventId !== null && (
                  <Button size="xs" variant="light" onClick={() => onRedeliver(delivery)}>
                    Redeliver
                  </Button>
                )}
              </Table.Td>
            )}
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}

function Channels() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const channels = useQuery({
    ...trpc.notificationChannels.list.queryOptions({ page: 1, pageSize: 100 }),
    refetchInterval: REFRESH_MS,
  });
  const [creating, setCreating] = useState(false);
  const [editing, setEditing] = useState<Channel | null>(null);
  const [logOf, setLogOf] = useState<Channel | null>(null);
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.notificationChannels.pathKey() });
  const failed = (title: string) => (error: { message: string }) =>
    notifications.show({ color: "red", title, message: error.message });
  const create = useMutation(
    trpc.notificationChannels.create.mutationOptions({
      onSuccess: async () => {
        setCreating(false);
        await refresh();
      },
    }),
  );
  const update = useMutation(
    trpc.notificationChannels.update.mutationOptions({
      onSuccess: async () => {
        setEditing(null);
        await refresh();
      },
    }),
  );
  const remove = useMutation(
    trpc.notificationChannels.delete.mutationOptions({ onSuccess: refresh, onError: failed("Delete failed") }),
  );
  const test = useMutation(
    trpc.notificationChannels.test.mutationOptions({ onSuccess: showTestResult, onError: failed("Test failed") }),
  );
  return (
    <Stack>
      <Group>
        <Button onClick={() => setCreating(true)}>Add channel</Button>
      </Group>
      {channels.error && <Alert color="red">{channels.error.message}</Alert>}
      {channels.data?.data.length === 0 && <Text c="dimmed">No notification channels yet.</Text>}
      {!!channels.data?.data.length && (
        <Table striped>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Kind</Table.Th>
              <Table.Th>Sends to</Table.Th>
              <Table.Th>Events</Table.Th>
              <Table.Th>Health</Table.Th>
              <Table.Th />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {channels.data.data.map((channel) => (
              <Table.Tr key={channel.id} data-testid="channel-row">
                <Table.Td>{channel.kind === "email" ? "Email" : "Slack-compatible"}</Table.Td>
                <Table.Td>
                  <Text size="sm" style={{ wordBreak: "break-all" }}>
                    {channel.target}
                  </Text>
                </Table.Td>
                <Table.Td>
                  <Text size="xs">{channel.eventTypes.join(", ")}</Text>
                </Table.Td>
                <Table.Td>
                  <HealthBadge integration={channel} />
                </Table.Td>
                <Table.Td>
                  <Group gap="xs" wrap="nowrap">
                    <Button size="xs" variant="light" onClick={() => setLogOf(channel)}>
                      Deliveries
                    </Button>
                    <Button size="xs" variant="light" onClick={() => test.mutate({ channelId: channel.id })}>
                      Send test
                    </Button>
                    <Button size="xs" variant="default" onClick={() => setEditing(channel)}>
                      Edit
                    </Button>
                    <Button
                      size="xs"
                      color="red"
                      variant="light"
                      onClick={() => {
                        if (window.confirm(`Delete the channel to ${channel.target}?`)) remove.mutate({ channelId: channel.id });
                      }}
                    >
                      Delete
                    </Button>
                  </Group>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      <Modal opened={creating} onClose={() => setCreating(false)} title="Add notification channel" size="lg">
        <IntegrationForm
          initial={emptyForm}
          channel
          submitLabel="Save"
          pending={create.isPending}
          error={create.error?.message}
          onSubmit={(values) =>
            create.mutate({
              kind: values.kind,
              target: values.target,
              eventTypes: values.eventTypes,
              description: values.description,
              enabled: values.enabled,
            })
          }
        />
      </Modal>
      <Modal opened={editing !== null} onClose={() => setEditing(null)} title="Edit notification channel" size="lg">
        {editing && (
          <IntegrationForm
            initial={{ ...editing }}
            channel
            submitLabel="Save"
            pending={update.isPending}
            error={update.error?.message}
            onSubmit={(values) =>
              update.mutate({
                channelId: editing.id,
                target: values.target,
                eventTypes: values.eventTypes,
                description: values.description,
                enabled: values.enabled,
              })
            }
          />
        )}
      </Modal>
      <Modal opened={logOf !== null} onClose={() => setLogOf(null)} title={`Deliveries to ${logOf?.target}`} size="90%">
        {logOf && <ChannelLog channelId={logOf.id} />}
      </Modal>
    </Stack>
  );
}

function ChannelLog({ channelId }: { channelId: string }) {
  const trpc = useTRPC();
  const log = useQuery({
    ...trpc.notificationChannels.deliveries.queryOptions({ channelId, page: 1, pageSize: 50 }),
    refetchInterval: REFRESH_MS,
  });
  return <DeliveryTable deliveries={log.data?.data} error={log.error?.message} />;
}
