/**
 * How the send pipeline ends a file that fails before anything was sent (refused, unreadable,
 * throttled out, refused by StartFileTransfer), and reports a claim.
 *
 * The settle function does not finish such files itself: finishing (failed/ with its record,
 * the index, the MESSAGE.SEND.FAILED event) is the result function's job, which has the code and
 * the EventBridge client for it already; settle stays small (issue #17). Settle records the
 * decision in the ledger (`failing`, with the reason) and then hands the file off with a message
 * on the results queue. The file is owned at every step: while it is `failing` it stays in the
 * open work (`send-file`) that the reconciler finishes past its grace time; a hand-off that cannot
 * be sent fails the settle message, which SQS redelivers; one that keeps failing in the result
 * function lands in the results DLQ, whose alarm fires.
 */
import { SendMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { requireEnv } from "../shared/env";
import { logger } from "../shared/logger";
import { claimPk, getFile, update, FINAL_FILE_STATES, type ClaimItem } from "./claims";
import { decideOutcome } from "./decision";
import type { Failed } from "./outcome";

/** What ends files and claims: in place (outcome.ts endingHere) or by a hand-off (handOff). */
export interface Ending {
  /** Gives the file of `claim` the failure when it is in one of `allowedFrom`, and finishes it. */
  fail(claim: ClaimItem, fileName: string, failed: Failed, allowedFrom: readonly string[]): Promise<void>;
  /** Counts a file that ended without an outcome to finish (withdrawn) on its claim; reports a complete claim. */
  report(claimId: string, fileName: string): Promise<void>;
}

/** The message on the results queue: "finish what the ledger decided for this file, report its claim". */
export interface HandOffMessage {
  readonly kind: "finish";
  readonly claimId: string;
  readonly fileName: string;
}

/** A hand-off message, or undefined for anything else (Transfer's events). */
export function parseHandOff(json: unknown): HandOffMessage | undefined {
  if (typeof json !== "object" || json === null) return undefined;
  const { kind, claimId, fileName } = json as Record<string, unknown>;
  if (kind !== "finish" || typeof claimId !== "string" || typeof fileName !== "string") return undefined;
  return { kind, claimId, fileName };
}

/** A file state whose end is the result function's to finish (or to report). */
const HANDED_OFF_STATES: readonly string[] = ["delivering", "failing", ...FINAL_FILE_STATES];

/** Settle's ending: the decision in the ledger, the rest on the results queue (RESULTS_QUEUE_URL). */
export function handOff(sqs: SQSClient, now: () => Date): Ending {
  const send = async (claimId: string, fileName: string) => {
    const body: HandOffMessage = { kind: "finish", claimId, fileName };
    await sqs.send(
      new SendMessageCommand({ QueueUrl: requireEnv("RESULTS_QUEUE_URL"), MessageBody: JSON.stringify(body) }),
    );
  };
  return {
    async fail(claim, fileName, failed, allowedFrom) {
      const decided = await decideOutcome(claim.claimId, fileName, failed, now().toISOString(), allowedFrom);
      if (!decided) {
        // Not in a state that takes this failure: an earlier attempt decided (and maybe finished)
        // it, and its hand-off may be the one that was lost, so it is handed off again.
        const current = await getFile(claim.claimId, fileName);
        if (!current) throw new Error(`no ledger entry for ${fileName} of claim ${claim.claimId}`);
        if (!HANDED_OFF_STATES.includes(current.state)) {
          logger.info("failure ignored: file is not in a state that takes it", {
            claimId: claim.claimId,
            fileName,
            state: current.state,
          });
          return;
        }
      }
      await send(claim.claimId, fileName);
    },
    async report(claimId, fileName) {
      // Counted here; only a claim this completes needs the result function (its event). A
      // concurrent count elsewhere that completes it reports it there: both count, then read.
      const claim = await update<ClaimItem>(claimPk(claimId), { add: { finals: new Set([fileName]) } });
      if (!claim || claim.reported || (claim.finals?.size ?? 0) < claim.members.length) return;
      await send(claimId, fileName);
    },
  };
}
