import { AppShell, Group, NavLink, Title } from "@mantine/core";
import { useCan } from "./auth/identity";
import { UserMenu } from "./auth/UserMenu";
import { AccessPage } from "./pages/AccessPage";
import { Link, Route, Routes, useLocation } from "react-router";
import { BundleDetailPage } from "./pages/BundleDetailPage";
import { BundlesPage } from "./pages/BundlesPage";
import { DashboardPage } from "./pages/DashboardPage";
import { DevicesPage } from "./pages/DevicesPage";
import { IntegrationsPage } from "./pages/IntegrationsPage";
import { RolloutStatusPage } from "./pages/RolloutStatusPage";
import { RolloutsPage } from "./pages/RolloutsPage";

const nav = [
  { to: "/", label: "Dashboard", exact: true },
  { to: "/bundles", label: "Bundles" },
  { to: "/rollouts", label: "Rollouts" },
  { to: "/devices", label: "Devices" },
];

export function App() {
  const location = useLocation();
  const isAdmin = useCan("admin");
  return (
    <AppShell header={{ height: 56 }} navbar={{ width: 200, breakpoint: "sm" }} padding="md">
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between">
          <Title order={3}>SignalBeam Edge</Title>
          <UserMenu />
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs">
        {nav.map((item) => (
          <NavLink
            key={item.to}
            component={Link}
            to={item.to}
            label={item.label}
            active={item.exact ? location.pathname === item.to : location.pathname.startsWith(item.to)}
          />
        ))}
        {isAdmin && <NavLink component={Link} to="/access" label="Access" active={location.pathname.startsWith("/access")} />}
        {isAdmin && (
          <NavLink
            component={Link}
            to="/integrations"
            label="Integrations"
            active={location.pathname.startsWith("/integrations")}
          />
        )}
        <NavLink href="/api/docs/" label="API reference" />
      </AppShell.Navbar>
      <AppShell.Main>
        <Routes>
          <Route path="/" element={<DashboardPage />} />
          <Route path="/bundles" element={<BundlesPage />} />
          <Route path="/bundles/:bundleId" element={<BundleDetailPage />} />
          <Route path="/rollouts" element={<RolloutsPage />} />
          <Route path="/rollouts/:rolloutId" element={<RolloutStatusPage />} />
          <Route path="/devices" element={<DevicesPage />} />
          <Route path="/access" element={<AccessPage />} />
          <Route path="/integrations" element={<IntegrationsPage />} />
        </Routes>
      </AppShell.Main>
    </AppShell>
  );
}
