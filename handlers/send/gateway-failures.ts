/**
 * What a person should do about the failures the settle handler itself gives a send (never in
 * Transfer's events). Plain strings apart from the failure table (failure-classes.ts), so that the
 * settle handler does not bundle that table.
 */

export const THROTTLED_RETRIES_EXHAUSTED_ADVICE =
  "Transfer Family kept throttling StartFileTransfer; upload the file again when the load is lower or raise the quota";

export const START_FILE_TRANSFER_REJECTED_ADVICE =
  "Transfer refused StartFileTransfer: check that the partner's connector exists and the gateway may use it";
