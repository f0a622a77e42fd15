import { Alert, Button, Center, Paper, PasswordInput, Stack, Text, TextInput, Title } from "@mantine/core";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { setCsrfToken, useTRPC } from "../trpc";

export function LoginPage() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const login = useMutation(
    trpc.auth.login.mutationOptions({
      onSuccess: async (identity) => {
        setCsrfToken(identity.csrfToken);
        // Start clean as this operator: refetches `auth.me`, which lets the app in.
        await queryClient.resetQueries();
      },
    }),
  );
  const submit = (event: FormEvent) => {
    event.preventDefault();
    login.mutate({ username, password });
  };

  return (
    <Center h="100vh" bg="gray.0">
      <Paper withBorder shadow="sm" p="xl" w={380} component="form" onSubmit={submit}>
        <Stack>
          <div>
            <Title order={2}>SignalBeam Edge</Title>
            <Text c="dimmed" size="sm">
              Sign in to manage rollouts
            </Text>
          </div>
          {login.error && (
            <Alert color="red" title="Sign-in failed">
              {login.error.message}
            </Alert>
          )}
          <TextInput
            label="Username"
            autoComplete="username"
            required
            value={username}
            onChange={(event) => setUsername(event.currentTarget.value)}
            autoFocus
          />
          <PasswordInput
            label="Password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(event) => setPassword(event.currentTarget.value)}
          />
          <Button type="submit" loading={login.isPending}>
            Sign in
          </Button>
          <Text c="dimmed" size="xs">
            First start? The admin password is printed by the server (or <code>npm start</code>) at startup.
          </Text>
        </Stack>
      </Paper>
    </Center>
  );
}
