/**
 * The signal a send handler gives when Transfer reports a failure code outside AWS's documented
 * table (handlers/send/failure-classes.ts), and the names the stack's metric filter and alarm use
 * to count it (stacks/pipelines/unclassified-failure-alarm.ts). Shared here so the two cannot drift.
 */

/** The `message` of the structured (JSON) log line written once per unclassified failure. */
export const UNCLASSIFIED_FAILURE_LOG_MESSAGE = "unclassified Transfer failure code";

/** The CloudWatch metric counting those log lines and its namespace: model/metrics.ts. */
export { UNCLASSIFIED_FAILURE_METRIC } from "./metrics";
