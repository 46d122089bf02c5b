/**
 * The gateway's own CloudWatch metrics: one namespace per customer and the metric names, used by
 * the handlers that emit them (EMF lines, log metric filters), the stacks' alarms and the
 * dashboard. One module so that an emitter and its alarm cannot drift apart.
 */

/** Namespace of the gateway's own metrics for one customer (same form as the domain events' `source`). */
export function gatewayMetricNamespace(customer: string): string {
  return `as2-transfer-gateway/${customer}`;
}

/** Transfer failure codes outside AWS's documented table (log metric filter, see model/failure-metric.ts). */
export const UNCLASSIFIED_FAILURE_METRIC = "UnclassifiedTransferFailureCode";

/** A function refused the routing document: its SHA-256 is not the stack's (log metric filter). */
export const ROUTING_INTEGRITY_METRIC = "RoutingIntegrityFailures";

/** Age in seconds of the oldest open work, per `Direction` (send | receive); the reconciler emits it (EMF). */
export const OLDEST_OPEN_WORK_METRIC = "OldestOpenWorkAgeSeconds";
