import { Badge, Button, Group, Text } from "@mantine/core";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { setCsrfToken, useTRPC } from "../trpc";
import { useIdentity } from "./identity";

/** Who is signed in, with what role, and the way out. */
export function UserMenu() {
  const identity = useIdentity();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const logout = useMutation(
    trpc.auth.logout.mutationOptions({
      onSettled: async () => {
        setCsrfToken(null);
        // `auth.me` refetches, gets 401, and the login page replaces the app.
        await queryClient.resetQueries();
      },
    }),
  );
  return (
    <Group gap="sm">
      <Text size="sm" data-testid="signed-in-as">
        {identity.username}
      </Text>
      <Badge variant="light" color={identity.role === "admin" ? "grape" : identity.role === "operator" ? "blue" : "gray"}>
        {identity.role}
      </Badge>
      {identity.via === "session" && (
        <Button size="xs" variant="default" loading={logout.isPending} onClick={() => logout.mutate()}>
          Sign out
        </Button>
      )}
    </Group>
  );
}
