/**
 * The send pipeline's decisions, as pure functions: whether an upload may be sent, how long it
 * still has to settle, how long to wait before the next attempt. No AWS here; tested without it.
 */
import {
  longestRoutedKeyBytes,
  longestWorkKeyBytes,
  MAX_KEY_BYTES,
  type ParsedSendKey,
  type Route,
} from "../../model/layout";
import type { Routing, RoutingPartner } from "../../model/routing";

/** Transfer Family's limit of paths per StartFileTransfer call. */
export const MAX_PATHS_PER_TRANSFER = 10;
/** SQS's longest message delay. */
export const MAX_SQS_DELAY_SECONDS = 900;

export type UploadCheck =
  | { readonly ok: true; readonly partner: RoutingPartner }
  | { readonly ok: false; readonly code: string; readonly reason: string };

export interface UploadFacts {
  readonly size: number;
}

/** Checks an upload against the routing document: the reasons become the failed/ record. */
export function checkUpload(parsed: ParsedSendKey, facts: UploadFacts, routing: Routing): UploadCheck {
  const { station, partner } = parsed;
  if (!routing.station(station)) {
    const known = routing.doc.stations.map((s) => s.station).join(", ");
    return {
      ok: false,
      code: "UNKNOWN_STATION",
      reason: `station '${station}' is not declared for this gateway (declared: ${known || "none"}); upload under AS2/send/<station>/<partner>/`,
    };
  }
  const p = routing.partner(station, partner);
  if (!p) {
    const partners = routing.doc.partners
      .filter((x) => x.station === station)
      .map((x) => x.partner)
      .join(", ");
    return {
      ok: false,
      code: "UNKNOWN_PARTNER",
      reason: `partner '${partner}' is not declared for station '${station}' (its partners: ${partners || "none"})`,
    };
  }
  if (!p.enabled)
    return {
      ok: false,
      code: "PARTNER_DISABLED",
      reason: `partner '${partner}' is disabled in the customer file; enable it and upload the file again`,
    };
  if (p.test && !parsed.test) {
    return {
      ok: false,
      code: "TEST_LEVEL_MISMATCH",
      reason: `partner '${partner}' is a test partner: upload under AS2/send/${station}/${partner}/test/`,
    };
  }
  if (!p.test && parsed.test) {
    return {
      ok: false,
      code: "TEST_LEVEL_MISMATCH",
      reason: `partner '${partner}' is not a test partner: upload under AS2/send/${station}/${partner}/ (the test/ folder is for test partners)`,
    };
  }
  // Checked before anything moves: a message whose outbox record or staging key would pass
  // S3's 1024 bytes would otherwise be sent and then stop half-way.
  const longest = Math.max(
    longestRoutedKeyBytes(routing.doc.layout, routeOf(parsed), parsed.fileName),
    longestWorkKeyBytes(parsed, parsed.fileName),
  );
  if (longest > MAX_KEY_BYTES) {
    return {
      ok: false,
      code: "NAME_TOO_LONG",
      reason: `the file name is too long: the keys this message needs would have ${longest} bytes, S3 allows ${MAX_KEY_BYTES}; shorten the name (or the partner/station ids) and upload it again`,
    };
  }
  if (facts.size > routing.doc.send.maxFileBytes) {
    return {
      ok: false,
      code: "FILE_TOO_LARGE",
      reason: `the file has ${facts.size} bytes; Transfer Family sends at most ${routing.doc.send.maxFileBytes} bytes per file`,
    };
  }
  if (facts.size === 0 && routing.doc.send.emptyFile === "fail") {
    return {
      ok: false,
      code: "EMPTY_FILE",
      reason: "the file is empty; this gateway is configured not to send empty files (send.emptyFile = fail)",
    };
  }
  return { ok: true, partner: p };
}

/** Route of an upload as written in its key (also for a failed/ folder when routing refused it). */
export function routeOf(parsed: ParsedSendKey): Route {
  return { station: parsed.station, partner: parsed.partner, test: parsed.test };
}

/**
 * Seconds an upload still has to stay unchanged: 0 when settled. `newest` is the last
 * modification of the file (or of the newest file of a batch directory).
 */
export function remainingSettleSeconds(newest: Date, now: Date, settleSeconds: number): number {
  const ageMs = now.getTime() - newest.getTime();
  const remaining = settleSeconds * 1000 - ageMs;
  return remaining <= 0 ? 0 : Math.ceil(remaining / 1000);
}

/** SQS delay for a wait of `seconds` (longer waits are chained: the message carries its due time). */
export function sqsDelay(seconds: number): number {
  return Math.max(0, Math.min(MAX_SQS_DELAY_SECONDS, Math.ceil(seconds)));
}

/** Exponential backoff: `initial · 2^(attempt-1)`, capped at `max`. `attempt` counts from 1. */
export function backoffSeconds(attempt: number, retry: { initialSeconds: number; maxSeconds: number }): number {
  const exp = Math.min(attempt - 1, 30);
  return Math.min(retry.maxSeconds, retry.initialSeconds * 2 ** exp);
}

/** Backoff for StartFileTransfer throttling: short and bounded (the call itself is cheap). */
export const THROTTLE_RETRY = { initialSeconds: 2, maxSeconds: 300, maxAttempts: 8 } as const;

export function chunks<T>(items: readonly T[], size = MAX_PATHS_PER_TRANSFER): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Identity of one upload, the key of its ownership item: the version id when the bucket is
 * versioned, else its ETag. The ETag names the bytes, not the upload, so the ownership of an
 * unversioned upload ends once it has left AS2/send/ (claims.releasedWhenMoved): the same bytes
 * uploaded again later are a new message, a repeated event or sweep of the same upload is not.
 * No modification time: the S3 event path knows the event's time, the sweep and re-checks know
 * LastModified, and both must name the same upload.
 */
export function objectIdentity(o: { etag: string; lastModified?: Date; versionId?: string }): string {
  if (o.versionId && o.versionId !== "null") return `v:${o.versionId}`;
  return `e:${o.etag.replace(/"/g, "")}`;
}
