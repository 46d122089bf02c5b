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

/**
 * Days before the customer's nearest certificate expires (dimension `Customer`): the reconciler
 * computes it from the routing document's certificate list (EMF), one alarm watches it.
 */
export const CERTIFICATE_DAYS_LEFT_METRIC = "CertificateDaysLeft";
/** One per published domain event, dimensions `Partner` and `EventType` (MESSAGE.SEND.SUCCESS ...). */
export const MESSAGES_METRIC = "Messages";

/**
 * Seconds from the upload (`uploadedAt`; without it, the last StartFileTransfer) to the outcome of
 * a send with an MDN: what the user waits for, settle time and retries included.
 */
export const TIME_TO_MDN_METRIC = "SecondsToMdn";

/** What a message-metric EMF line needs of a domain event. */
export interface MeteredEvent {
  readonly customer: string;
  readonly partnerId: string;
  readonly eventType: string;
  readonly timestamp: string;
  readonly lastAttemptTime?: string;
  /** When the message was uploaded (sends): the start of SecondsToMdn. */
  readonly uploadedAt?: string;
  readonly mdn?: unknown;
}

/**
 * CloudWatch embedded metric format fields for one published domain event: logged as part of a
 * structured log line, CloudWatch turns them into the metrics above, no API call.
 */
export function messageMetricFields(e: MeteredEvent): Record<string, unknown> {
  const from = e.uploadedAt ?? e.lastAttemptTime;
  const toMdn =
    e.eventType === "MESSAGE.SEND.SUCCESS" && e.mdn !== undefined && from
      ? Math.max(0, (Date.parse(e.timestamp) - Date.parse(from)) / 1000)
      : undefined;
  const metrics = [
    { Name: MESSAGES_METRIC, Unit: "Count" },
    ...(toMdn !== undefined && Number.isFinite(toMdn) ? [{ Name: TIME_TO_MDN_METRIC, Unit: "Seconds" }] : []),
  ];
  return {
    _aws: {
      // Now, not the outcome time: CloudWatch drops EMF metrics stamped over 2 weeks in the past.
      Timestamp: Date.now(),
      CloudWatchMetrics: [
        { Namespace: gatewayMetricNamespace(e.customer), Dimensions: [["Partner", "EventType"]], Metrics: metrics },
      ],
    },
    Partner: e.partnerId,
    EventType: e.eventType,
    [MESSAGES_METRIC]: 1,
    ...(metrics.length > 1 ? { [TIME_TO_MDN_METRIC]: toMdn } : {}),
  };
}
