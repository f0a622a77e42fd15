import { AppShell, Group, NavLink, Title } from "@mantine/core";
import { Link, Navigate, Route, Routes, useLocation } from "react-router";
import { RolloutStatusPage } from "./pages/RolloutStatusPage";
import { RolloutsPage } from "./pages/RolloutsPage";

export function App() {
  const location = useLocation();
  return (
    <AppShell header={{ height: 56 }} navbar={{ width: 200, breakpoint: "sm" }} padding="md">
      <AppShell.Header>
        <Group h="100%" px="md">
          <Title order={3}>SignalBeam Edge</Title>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs">
        <NavLink component={Link} to="/rollouts" label="Rollouts" active={location.pathname.startsWith("/rollouts")} />
        <NavLink href="/api/docs/" label="API reference" />
      </AppShell.Navbar>
      <AppShell.Main>
        <Routes>
          <Route path="/" element={<Navigate to="/rollouts" replace />} />
          <Route path="/rollouts" element={<RolloutsPage />} />
          <Route path="/rollouts/:rolloutId" element={<RolloutStatusPage />} />
        </Routes>
      </AppShell.Main>
    </AppShell>
  );
}
