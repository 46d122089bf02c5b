/**
 * The last S3 step of a sent file's end (its payload, MDN and record are in outbox/ or failed/):
 * the staged copy and the files Transfer wrote for its transfers go in one DeleteObjects request.
 * Lifecycle never expires a current version under the gateway's working prefix (issue #11), so
 * what is not deleted here stays forever: Transfer's MDN and status file would be two objects per
 * message.
 */
import type { S3Client } from "@aws-sdk/client-s3";
import { transferOutboundStatusKey } from "../../model/layout";
import { deleteMany } from "../shared/s3-object";
import { logger } from "../shared/logger";
import type { FileItem } from "./claims";

/**
 * Transfer writes a sent file's status file and MDN to `processed/` or `failed/` beside the file
 * it sent (DESIGN.md, "file names"; AWS Transfer user guide, AS2 file names). A key the ledger
 * holds is only deleted when it is there: named by an event of this file's transfers, and in its
 * own claim's staging directory, never the staged payload itself nor anything a user wrote.
 */
function isTransferFileOf(stagedKey: string, key: string): boolean {
  const dir = stagedKey.slice(0, stagedKey.lastIndexOf("/") + 1);
  return dir.length > 0 && key.startsWith(dir) && /^(processed|failed)\/[^/]+$/.test(key.slice(dir.length));
}

/**
 * The deciding transfer's status file when no event named it: AS2 Payload Send Completed, which ends
 * a send to a partner with MDN `NONE`, carries only the file key (fixtures/aws-transfer/README.md),
 * yet Transfer still writes the transfer's status file. Its name is fully determined by the transfer
 * and message ids (transferOutboundStatusKey), so it is named, never listed: no request is added.
 * A delivered transfer's status is in `processed/`; a failure the gateway decided (no result, an
 * event without keys) may have left it in either folder, and deleting a key that is not there is a
 * no-op (a lone delete marker in a versioned bucket, which lifecycle's ExpiredObjectDeleteMarker removes).
 */
function unnamedStatusKeys(file: FileItem): string[] {
  if (file.statusSourceKey !== undefined || !file.transferId || !file.as2MessageId) return [];
  const folders = file.state === "delivering" ? (["processed"] as const) : (["processed", "failed"] as const);
  return folders
    .map((f) => transferOutboundStatusKey(file.sourceKey, f, file.transferId!, file.as2MessageId!))
    .filter((k): k is string => k !== undefined);
}

/**
 * What Transfer wrote for this file that the ledger knows (events' `json-key`/`mdn-key`, or a name
 * fully determined by its ids; never a listing): the deciding attempt's status file, its MDN once
 * copied beside the payload (`mdnCopied`; nothing is deleted before its copy), and the status files
 * and MDNs of earlier attempts (an earlier attempt's MDN is not copied: the record's failure message
 * carries its disposition, see scheduleRetry).
 */
export function transferFilesOf(file: FileItem, mdnCopied: boolean): { inside: string[]; outside: string[] } {
  const named = new Set(
    [
      file.statusSourceKey,
      ...unnamedStatusKeys(file),
      ...(mdnCopied ? [file.mdnSourceKey] : []),
      ...(file.earlierStatusKeys ?? []),
      ...(file.earlierMdnKeys ?? []),
    ].filter((k): k is string => k !== undefined),
  );
  const inside = [...named].filter((k) => isTransferFileOf(file.sourceKey, k));
  return { inside, outside: [...named].filter((k) => !inside.includes(k)) };
}

/**
 * Deletes the staged copy and Transfer's files of `file` in one request. The staged copy is
 * deleted as before (by key: only the gateway writes it); if S3 does not delete it, this throws,
 * as the single DeleteObject did: the file keeps its decided state and its owner (the redelivered
 * event, the reconciler) finishes it again, which repeats nothing but this request. Transfer's
 * files that are not deleted are logged and left: the send has ended, and they must never fail it.
 */
export async function dropStaging(s3: S3Client, bucket: string, file: FileItem, mdnCopied: boolean): Promise<void> {
  const { inside, outside } = transferFilesOf(file, mdnCopied);
  const notDeleted = await deleteMany(s3, bucket, [file.sourceKey, ...inside]);
  const staged = notDeleted.find((e) => e.key === file.sourceKey);
  // Named outside the file's staging directory: never deleted (not Transfer's file of this send).
  const left = [...notDeleted.filter((e) => e !== staged), ...outside.map((key) => ({ key, code: "NotInStaging" }))];
  if (left.length)
    logger.warn("Transfer's files of an ended send were not deleted", {
      claimId: file.claimId,
      fileName: file.fileName,
      notDeleted: left,
    });
  if (staged) throw new Error(`staged copy s3://${bucket}/${file.sourceKey} was not deleted (${staged.code})`);
}
