import {
  type AgentCache,
  applyCacheChange,
  decodeCacheChange,
  INVALIDATION_CHANNEL,
  type OperatorCache,
  ROLLOUT_NOTICE_CHANNEL,
  type SharedRolloutEvents,
} from "@signalbeam/api";
import type { NotificationChannel } from "./notificationListener";

/**
 * Cache invalidations from other replicas. Nothing cached survives a gap in listening: it is all
 * dropped when the connection goes (reads go to the database meanwhile) and again once `LISTEN`
 * is back (what was cached in between was read while a change could be missed).
 */
export function cacheInvalidationChannel(cache: AgentCache, operators: OperatorCache): NotificationChannel {
  const forgetEverything = () => {
    cache.desiredStatesChanged("all");
    cache.credentialsChanged("all");
    operators.changed();
  };
  return {
    name: INVALIDATION_CHANNEL,
    onNotice(payload) {
      const change = decodeCacheChange(payload);
      // This replica applied its own changes when they committed; doing it twice would only reload twice.
      if (change && change.origin !== cache.id) applyCacheChange(cache, change, operators);
    },
    onLost: forgetEverything,
    onResync: forgetEverything,
  };
}

/** Change notices from other replicas: live views, the controller and the delivery worker. */
export function rolloutNoticeChannel(events: SharedRolloutEvents): NotificationChannel {
  return {
    name: ROLLOUT_NOTICE_CHANNEL,
    onNotice: (payload) => events.receive(payload),
    onResync: () => events.resync(),
  };
}
