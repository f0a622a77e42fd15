import { Center, Loader, Stack, Text, Title } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import type { ReactNode } from "react";
import { setCsrfToken, useTRPC } from "../trpc";
import { IdentityProvider } from "./identity";
import { LoginPage } from "./LoginPage";

const errorCode = (error: unknown) => (error as { data?: { code?: string } } | null)?.data?.code;

/** Shows the login page until `auth.me` names a signed-in operator, then the app. */
export function AuthGate({ children }: { children: ReactNode }) {
  const trpc = useTRPC();
  const me = useQuery({ ...trpc.auth.me.queryOptions(), retry: false, staleTime: 60_000 });

  if (me.isPending)
    return (
      <Center h="100vh">
        <Loader />
      </Center>
    );
  if (me.error) {
    if (errorCode(me.error) === "UNAUTHORIZED") return <LoginPage />;
    return (
      <Center h="100vh">
        <Stack align="center">
          <Title order={3}>Cannot reach the server</Title>
          <Text c="dimmed">{me.error.message}</Text>
        </Stack>
      </Center>
    );
  }
  setCsrfToken(me.data.csrfToken);
  return <IdentityProvider value={me.data}>{children}</IdentityProvider>;
}
