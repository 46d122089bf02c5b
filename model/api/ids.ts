/**
 * Ids of the message index (REST API, issue 15). Free of zod and of the SDK: handlers import it.
 *
 * An id is derived from facts both sides of a hand-over know, so no lookup is needed to agree on it:
 * - outbound: the uploaded object version (bucket, key, identity), which the API knows after its
 *   `If-None-Match: *` write and the send path knows from the claim's member;
 * - inbound: the ledger's message key (agreement, AS2 message id) and the delivery occurrence.
 */
import { createHash } from "node:crypto";

/** What a message id looks like in a URL path: no escaping needed, prefix tells the direction. */
export const MESSAGE_ID_PATTERN = "^[io]-[0-9a-f]{24}$";

function tag(seed: string): string {
  return createHash("sha256").update(seed).digest("hex").slice(0, 24);
}

/** `identity` as the send path computes it (handlers/send/decide.ts objectIdentity: `v:<version>` or `e:<etag>@<time>`). */
export function outboundMessageId(bucket: string, key: string, identity: string): string {
  return `o-${tag(`${bucket}\n${key}\n${identity}`)}`;
}

export function inboundMessageId(agreementId: string, as2MessageId: string, occurrence = ""): string {
  return `i-${tag(`${agreementId}\n${as2MessageId}\n${occurrence}`)}`;
}

export function directionOfId(id: string): "inbound" | "outbound" | undefined {
  return new RegExp(MESSAGE_ID_PATTERN).test(id) ? (id.startsWith("i-") ? "inbound" : "outbound") : undefined;
}

/** An upload waiting for its commit (POST /v1/uploads/{uploadId}/commit): random, so it cannot be guessed. */
export const UPLOAD_ID_PATTERN = "^u-[0-9a-f]{32}$";

/** An Idempotency-Key as a client may send it: printable ASCII, as HTTP header values are. */
export const IDEMPOTENCY_KEY_PATTERN = "^[\\x20-\\x7e]{1,255}$";

/**
 * The index-table item remembering a client's Idempotency-Key. Scoped to the caller and station,
 * so two clients (or one client's two stations) never share a key. Never a message id (`k-`), so
 * neither the message reads nor the GSIs (it has none of their keys) ever see it.
 */
export function idempotencyRecordId(caller: string, station: string, key: string): string {
  return `k-${tag(`${caller}\n${station}\n${key}`)}`;
}
