/** Uploads the gateway cannot read or copy, whatever the number of attempts. */
import type { Failed } from "./outcome";

/**
 * Encrypted with a KMS key the gateway may not use (AccessDenied, KMS.*), archived
 * (InvalidObjectState), or a copy source over CopyObject's 5 GB (InvalidRequest).
 */
export function isUnreadable(e: unknown): boolean {
  const err = e as { name?: string; Code?: string; $metadata?: { httpStatusCode?: number } };
  const name = err?.name ?? err?.Code ?? "";
  return (
    name === "AccessDenied" ||
    name.startsWith("KMS.") ||
    name === "InvalidObjectState" ||
    name === "InvalidRequest" ||
    err?.$metadata?.httpStatusCode === 403
  );
}

export function unreadableOutcome(e: unknown): Failed {
  const err = e as Error;
  return {
    outcome: "failed",
    failureCode: "UPLOAD_NOT_READABLE",
    failureMessage: `the gateway cannot copy this upload: ${err.name}: ${err.message}`,
    failureReason:
      "The upload was left where it is. If it is encrypted with a KMS key other than the bucket's, upload it again with the bucket's default encryption; files over 1 GB cannot be sent by AS2 at all.",
  };
}
