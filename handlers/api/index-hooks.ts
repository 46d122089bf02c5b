/**
 * What the send and receive paths call at each state change to keep the message index current
 * (REST API, issue 15). One call per change, built from the item the path has just written, so
 * the hook adds no read. Without the API (no MESSAGE_INDEX_TABLE) every hook does nothing.
 *
 * A failed index write is logged and not thrown: the pipeline's own progress (the file reaching
 * outbox/ or inbox/) matters more than the index, and `npm run gateway -- reindex` rebuilds the
 * index from the records the pipeline writes anyway. The API's own writes do throw.
 */
import type { ClaimItem, FileItem, Member } from "../send/claims";
import type { MessageItem } from "../receive/message-index";
import { inboundMessageId, outboundMessageId } from "../../model/api/ids";
import type { IndexTransition, PipelineState } from "../../model/api/index-model";
import { recordKey } from "../../model/layout";
import { logger } from "../shared/logger";
import { INDEX_TABLE_ENV, addFacts, transitionElement, writeTransition } from "./index-transitions";

export function indexEnabled(): boolean {
  return !!process.env[INDEX_TABLE_ENV];
}

/** `o` without its undefined members (records, events and index items leave them out). */
export const clean = <T extends object>(o: T): T =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

/** The index id of one uploaded file of a claim (the id the API returned when it wrote the upload). */
export function outboundIdOfMember(bucket: string, m: Pick<Member, "key" | "identity">): string {
  return outboundMessageId(bucket, m.key, m.identity);
}

type ClaimFacts = Pick<ClaimItem, "bucket" | "station" | "partner" | "test" | "members" | "claimedAt">;
type FileFacts = Partial<FileItem> & Pick<FileItem, "fileName">;

/**
 * The transition of one file of a send claim. `state` is the index's name for where the file is:
 * queued (claimed), sending (StartFileTransfer called), retrying, sent or failed.
 */
export function sendTransition(
  claim: ClaimFacts,
  file: FileFacts,
  state: PipelineState,
  at: string,
): IndexTransition | undefined {
  const member = claim.members.find((m) => m.fileName === file.fileName);
  if (!member) return undefined;
  const final = state === "sent" || state === "failed";
  const where = final ? (file.outcomeKey ?? member.key) : member.key;
  return clean({
    id: outboundIdOfMember(claim.bucket, member),
    direction: "outbound" as const,
    station: claim.station,
    partner: claim.partner,
    test: claim.test,
    state,
    at,
    as2MessageId: file.as2MessageId,
    subject: file.subject,
    files: [{ fileName: file.fileName, size: file.size ?? member.size, key: where }],
    mdn: file.mdnKey || file.disposition ? clean({ key: file.mdnKey, disposition: file.disposition }) : undefined,
    recordKey: file.recordKey,
    failureCode: state === "failed" || state === "retrying" ? file.failureCode : undefined,
    failureReason: state === "failed" || state === "retrying" ? (file.failureReason ?? file.failureMessage) : undefined,
    attempts: file.attempts,
    uploadKey: member.key,
  });
}

/** The transition of a received message once it is routed (inbox/ or failed/). */
export function receiveTransition(item: MessageItem): IndexTransition | undefined {
  if ((item.state !== "received" && item.state !== "failed") || !item.station || !item.partner) return undefined;
  const failed = item.state === "failed";
  return clean({
    id: inboundMessageId(item.agreementId, item.as2MessageId),
    direction: "inbound" as const,
    station: item.station,
    partner: item.partner,
    test: item.test === true,
    state: failed ? ("failed" as const) : ("received" as const),
    at: item.endTimestamp ?? item.startTimestamp ?? new Date().toISOString(),
    as2MessageId: item.as2MessageId,
    subject: item.subject,
    files: [clean({ fileName: item.fileName ?? item.requesterFileName ?? "", size: item.size, key: item.dest })],
    mdn:
      item.mdn || item.mdnDest
        ? clean({ key: item.mdnDest, status: item.mdn?.status, disposition: item.mdn?.disposition ?? item.disposition })
        : undefined,
    recordKey: item.dest ? recordKey(item.dest) : undefined,
    failureCode: failed ? (item.failureCode ?? "UNKNOWN") : undefined,
    failureReason: failed ? item.failureMessage : undefined,
  });
}

/** Records a transition; never throws (see the module comment). */
export async function indexTransition(t: IndexTransition | undefined): Promise<void> {
  if (!t || !indexEnabled()) return;
  try {
    await writeTransition(t);
  } catch (e) {
    logger.error("message index not updated (npm run gateway -- reindex repairs it)", {
      id: t.id,
      state: t.state,
      error: (e as Error).message,
    });
  }
}

/** The same transition as an element of the caller's TransactWriteItems, or undefined without the API. */
export function indexTransitionElement(t: IndexTransition | undefined) {
  return t && indexEnabled() ? transitionElement(t) : undefined;
}

/** An MDN status recorded after the message was routed: added to its index record (never thrown). */
export async function indexReceivedMdn(item: MessageItem): Promise<void> {
  if (!indexEnabled() || !item.mdn) return;
  const id = inboundMessageId(item.agreementId, item.as2MessageId);
  try {
    await addFacts(id, {
      mdn: clean({ key: item.mdnDest, status: item.mdn.status, disposition: item.mdn.disposition ?? item.disposition }),
    });
  } catch (e) {
    logger.error("message index not updated (npm run gateway -- reindex repairs it)", {
      id,
      error: (e as Error).message,
    });
  }
}
