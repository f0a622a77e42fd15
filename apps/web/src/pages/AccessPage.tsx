import {
  Alert,
  Badge,
  Button,
  Code,
  CopyButton,
  Group,
  Modal,
  PasswordInput,
  Select,
  Stack,
  Table,
  Tabs,
  Text,
  TextInput,
  Title,
} from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import type { Role } from "../auth/identity";
import { formatTime } from "../lib/format";
import { useTRPC } from "../trpc";

const roles: { value: Role; label: string }[] = [
  { value: "viewer", label: "viewer — read only" },
  { value: "operator", label: "operator — run rollouts, manage devices" },
  { value: "admin", label: "admin — plus users and keys" },
];

function RoleSelect({ value, onChange }: { value: Role; onChange: (role: Role) => void }) {
  return (
    <Select
      label="Role"
      data={roles}
      value={value}
      onChange={(selected) => selected && onChange(selected as Role)}
      allowDeselect={false}
      w={320}
    />
  );
}

/** Admins: operator accounts and API keys. */
export function AccessPage() {
  return (
    <Stack>
      <Title order={2}>Access</Title>
      <Tabs defaultValue="keys" keepMounted={false}>
        <Tabs.List>
          <Tabs.Tab value="keys">API keys</Tabs.Tab>
          <Tabs.Tab value="users">Users</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="keys" pt="md">
          <ApiKeys />
        </Tabs.Panel>
        <Tabs.Panel value="users" pt="md">
          <Users />
        </Tabs.Panel>
      </Tabs>
    </Stack>
  );
}

function ApiKeys() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const keys = useQuery(trpc.apiKeys.list.queryOptions({ page: 1, pageSize: 200 }));
  const [name, setName] = useState("");
  const [role, setRole] = useState<Role>("operator");
  const [created, setCreated] = useState<{ name: string; key: string } | null>(null);
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.apiKeys.list.pathKey() });
  const create = useMutation(
    trpc.apiKeys.create.mutationOptions({
      onSuccess: async (key) => {
        setCreated({ name: key.name, key: key.key });
        setName("");
        await refresh();
      },
    }),
  );
  const revoke = useMutation(
    trpc.apiKeys.revoke.mutationOptions({
      onSuccess: async () => {
        notifications.show({ color: "orange", title: "API key revoked", message: "It stops working at once." });
        await refresh();
      },
      onError: (error) => notifications.show({ color: "red", title: "Revoke failed", message: error.message }),
    }),
  );
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate({ name, role });
  };

  return (
    <Stack>
      <Group component="form" onSubmit={submit} align="flex-end">
        <TextInput
          label="New key for"
          placeholder="ci-deploy"
          value={name}
          onChange={(event) => setName(event.currentTarget.value)}
        />
        <RoleSelect value={role} onChange={setRole} />
        <Button type="submit" loading={create.isPending}>
          Create key
        </Button>
      </Group>
      {create.error && <Alert color="red">{create.error.message}</Alert>}
      <Table striped>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Name</Table.Th>
            <Table.Th>Prefix</Table.Th>
            <Table.Th>Role</Table.Th>
            <Table.Th>Created</Table.Th>
            <Table.Th>Last used</Table.Th>
            <Table.Th />
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {keys.data?.data.map((key) => (
            <Table.Tr key={key.id}>
              <Table.Td>{key.name}</Table.Td>
              <Table.Td>
                <Code>{key.prefix}</Code>
              </Table.Td>
              <Table.Td>{key.role}</Table.Td>
              <Table.Td>
                {formatTime(key.createdAt)} by {key.createdBy}
              </Table.Td>
              <Table.Td>{formatTime(key.lastUsedAt)}</Table.Td>
              <Table.Td>
                {key.revokedAt ? (
                  <Badge color="gray">revoked {formatTime(key.revokedAt)}</Badge>
                ) : (
                  <Button size="xs" color="red" variant="light" onClick={() => revoke.mutate({ keyId: key.id })}>
                    Revoke
                  </Button>
                )}
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      <Modal opened={created !== null} onClose={() => setCreated(null)} title={`API key "${created?.name}"`} size="lg">
        <Stack>
          <Text size="sm">Copy it now: it is shown this once and stored only as a hash.</Text>
          <Code block data-testid="new-api-key">
            {created?.key}
          </Code>
          <Group justify="flex-end">
            <CopyButton value={created?.key ?? ""}>
              {({ copied, copy }) => <Button onClick={copy}>{copied ? "Copied" : "Copy"}</Button>}
            </CopyButton>
            <Button variant="default" onClick={() => setCreated(null)}>
              Done
            </Button>
          </Group>
        </Stack>
      </Modal>
    </Stack>
  );
}

function Users() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const users = useQuery(trpc.users.list.queryOptions({ page: 1, pageSize: 200 }));
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [role, setRole] = useState<Role>("viewer");
  const create = useMutation(
    trpc.users.create.mutationOptions({
      onSuccess: async (user) => {
        notifications.show({ color: "green", title: "User created", message: `${user.username} can sign in now.` });
        setUsername("");
        setPassword("");
        await queryClient.invalidateQueries({ queryKey: trpc.users.list.pathKey() });
      },
    }),
  );
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate({ username, password, role });
  };
  return (
    <Stack>
      <Group component="form" onSubmit={submit} align="flex-end">
        <TextInput label="Username" value={username} onChange={(event) => setUsername(event.currentTarget.value)} />
        <PasswordInput
          label="Password"
          description="12 characters or more"
          value={password}
          onChange={(event) => setPassword(event.currentTarget.value)}
          autoComplete="new-password"
        />
        <RoleSelect value={role} onChange={setRole} />
        <Button type="submit" loading={create.isPending}>
          Create user
        </Button>
      </Group>
      {create.error && <Alert color="red">{create.error.message}</Alert>}
      <Table striped>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Username</Table.Th>
            <Table.Th>Role</Table.Th>
            <Table.Th>Created</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {users.data?.data.map((user) => (
            <Table.Tr key={user.id}>
              <Table.Td>{user.username}</Table.Td>
              <Table.Td>{user.role}</Table.Td>
              <Table.Td>
                {formatTime(user.createdAt)}
                {user.createdBy ? ` by ${user.createdBy}` : ""}
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Stack>
  );
}
