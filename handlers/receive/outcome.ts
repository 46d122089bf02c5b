/** What handling one event did: logged per event, asserted by tests. */
export type ReceiveAction =
  | "routed-to-inbox"
  | "routed-to-failed"
  | "already-done"
  | "duplicate-discarded"
  | "duplicate-kept-in-failed"
  | "duplicate-event"
  | "mdn-recorded"
  | "mdn-deferred"
  | "mdn-of-another-delivery";

export interface ReceiveOutcome {
  readonly action: ReceiveAction;
  readonly pk?: string;
  /** Payload key in inbox/ or failed/, when there is one. */
  readonly key?: string;
}
