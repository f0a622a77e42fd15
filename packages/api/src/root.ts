import { agentRouter } from "./agent/agentRouter";
import { bundleRouter } from "./bundles/bundleRouter";
import { deviceRouter } from "./devices/deviceRouter";
import { fleetRouter } from "./fleet/fleetRouter";
import { groupRouter } from "./groups/groupRouter";
import { rolloutRouter } from "./rollouts/rolloutRouter";
import { createTRPCRouter } from "./trpc";

export const appRouter = createTRPCRouter({
  rollouts: rolloutRouter,
  devices: deviceRouter,
  groups: groupRouter,
  bundles: bundleRouter,
  agent: agentRouter,
  fleet: fleetRouter,
});

export type AppRouter = typeof appRouter;
