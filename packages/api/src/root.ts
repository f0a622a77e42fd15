import { agentRouter } from "./agent/agentRouter";
import { auditRouter } from "./audit/auditRouter";
import { eventRouter } from "./events/eventRouter";
import { apiKeyRouter } from "./auth/apiKeyRouter";
import { authRouter } from "./auth/authRouter";
import { userRouter } from "./auth/userRouter";
import { bundleRouter } from "./bundles/bundleRouter";
import { deviceRouter } from "./devices/deviceRouter";
import { fleetRouter } from "./fleet/fleetRouter";
import { groupRouter } from "./groups/groupRouter";
import { rolloutRouter } from "./rollouts/rolloutRouter";
import { channelRouter } from "./integrations/channelRouter";
import { webhookRouter } from "./integrations/webhookRouter";
import { createTRPCRouter } from "./trpc";

export const appRouter = createTRPCRouter({
  rollouts: rolloutRouter,
  devices: deviceRouter,
  groups: groupRouter,
  bundles: bundleRouter,
  agent: agentRouter,
  fleet: fleetRouter,
  auth: authRouter,
  users: userRouter,
  apiKeys: apiKeyRouter,
  audit: auditRouter,
  events: eventRouter,
  webhooks: webhookRouter,
  notificationChannels: channelRouter,
});

export type AppRouter = typeof appRouter;
