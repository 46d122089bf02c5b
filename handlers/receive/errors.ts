/** Why a Transfer event could not be handled. Every one of them is thrown: SQS retries, then the DLQ keeps it. */

/** The event names a payload that is gone, and no verified copy of it is at its destination. */
export class MissingPayloadError extends Error {
  override readonly name = "MissingPayloadError";
}

/** Another invocation is routing the same message right now: retry later. */
export class MessageInProgressError extends Error {
  override readonly name = "MessageInProgressError";
}

/** The event cannot be tied to a partner of this customer (unknown agreement, key outside its base directory, no message id). */
export class UnroutableEventError extends Error {
  override readonly name = "UnroutableEventError";
}
