import "@mantine/core/styles.css";
import "@mantine/notifications/styles.css";
import { MantineProvider } from "@mantine/core";
import { Notifications } from "@mantine/notifications";
import { QueryCache, QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { StrictMode, useState } from "react";
import { createRoot } from "react-dom/client";
import { BrowserRouter } from "react-router";
import { App } from "./App";
import { AuthGate } from "./auth/AuthGate";
import { createClient, TRPCProvider } from "./trpc";

const identityKey = [["auth", "me"]];
const isIdentityQuery = (key: readonly unknown[]) => JSON.stringify(key[0]) === JSON.stringify(identityKey[0]);

function Root() {
  const [queryClient] = useState(() => {
    const client: QueryClient = new QueryClient({
      defaultOptions: { queries: { staleTime: 1_000 } },
      queryCache: new QueryCache({
        // A session that expires mid-use: ask who we are again, and the gate shows the login page.
        onError: (error, query) => {
          const unauthorized = (error as { data?: { code?: string } }).data?.code === "UNAUTHORIZED";
          if (unauthorized && !isIdentityQuery(query.queryKey)) void client.invalidateQueries({ queryKey: identityKey });
        },
      }),
    });
    return client;
  });
  const [trpcClient] = useState(createClient);
  return (
    <MantineProvider>
      <Notifications position="top-right" />
      <QueryClientProvider client={queryClient}>
        <TRPCProvider trpcClient={trpcClient} queryClient={queryClient}>
          <BrowserRouter>
            <AuthGate>
              <App />
            </AuthGate>
          </BrowserRouter>
        </TRPCProvider>
      </QueryClientProvider>
    </MantineProvider>
  );
}

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <Root />
  </StrictMode>,
);
