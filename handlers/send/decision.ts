/**
 * The first step of a file's outcome: the ledger records what was decided (`delivering` or
 * `failing`, with Transfer's facts and the failure) before anything is copied. From then on the
 * decision is the work's owner: whoever finishes it (this invocation, the result function after a
 * hand-off, a redelivery, the reconciler) finishes that decision, never another one.
 */
import { clean } from "../api/index-hooks";
import { update, stateIn, filePk, type Condition, type FileItem } from "./claims";
import type { Outcome } from "./outcome";

function both(a: Condition, b: Condition | undefined): Condition {
  if (!b) return a;
  return {
    expression: `(${a.expression}) AND (${b.expression})`,
    names: { ...a.names, ...b.names },
    values: { ...a.values, ...b.values },
  };
}

/**
 * Records the outcome on the file when it is in one of `allowedFrom` (and `guard` holds). Returns
 * the file as decided, or undefined when it was not in such a state (a duplicate or superseded event).
 */
export async function decideOutcome(
  claimId: string,
  fileName: string,
  outcome: Outcome,
  at: string,
  allowedFrom: readonly string[],
  guard?: Condition,
): Promise<FileItem | undefined> {
  const details = clean({
    transferId: outcome.transferId,
    as2MessageId: outcome.as2MessageId,
    disposition: outcome.disposition,
    mdnMessageId: outcome.mdnMessageId,
    mdnSourceKey: outcome.mdnSourceKey,
    statusSourceKey: outcome.statusSourceKey,
    ...(outcome.outcome === "failed"
      ? {
          failureCode: outcome.failureCode,
          failureMessage: outcome.failureMessage,
          failureReason: outcome.failureReason,
        }
      : { subject: outcome.subject }),
  });
  return update<FileItem>(filePk(claimId, fileName), {
    set: { state: outcome.outcome === "delivered" ? "delivering" : "failing", outcomeAt: at, ...details },
    condition: both(stateIn(allowedFrom), guard),
  });
}
