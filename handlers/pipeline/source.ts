/**
 * Which file a split-queue message is about. Two sources reach the queue through EventBridge:
 * - a file received over AS2: the gateway's own `MESSAGE.RECEIVED.SUCCESS` domain event (customer
 *   bus), which names the payload in inbox/ and its station/partner. Listening to the domain event
 *   rather than to "Object Created" under inbox/ keeps the MDN and JSON record written beside each
 *   payload out of the pipeline (a record `x.json` is indistinguishable from a payload by its key);
 * - a file a partner dropped over SFTP: S3 "Object Created" (default bus) under `AS2/drop/<st>/<p>/`.
 * S3 keys in EventBridge events: decoded first, then raw (DESIGN.md: not settled in AWS's docs).
 */
import { EVENT_SOURCE } from "../../model/events";
import { parseDropKey, type Route } from "../../model/layout";
import { decodeEventKey } from "../shared/s3-object";

export interface PipelineSource {
  readonly bucket: string;
  /** Candidate keys, most likely first (an S3 event key may or may not be URL-encoded). */
  readonly keys: readonly string[];
  readonly route: Route;
  readonly fileName: string;
  readonly via: "as2" | "sftp";
}

interface EventBridgeEnvelope {
  readonly source?: string;
  readonly "detail-type"?: string;
  readonly detail?: Record<string, unknown>;
}

function decodedFirst(key: string): string[] {
  const decoded = decodeEventKey(key);
  return decoded === key ? [key] : [decoded, key];
}

/** The file of an SQS body, or undefined (with the reason) when the event is not one of ours. */
export function pipelineSource(body: string): PipelineSource | { readonly ignored: string } {
  let event: EventBridgeEnvelope;
  try {
    event = JSON.parse(body) as EventBridgeEnvelope;
  } catch {
    return { ignored: "the message is not JSON" };
  }
  const d = event.detail ?? {};
  if (event.source === EVENT_SOURCE && event["detail-type"] === "MESSAGE.RECEIVED.SUCCESS") {
    const a = (d.attachments as { bucket?: string; key?: string; fileName?: string }[] | undefined)?.[0];
    if (!a?.bucket || !a.key) return { ignored: "MESSAGE.RECEIVED.SUCCESS without an attachment" };
    return {
      bucket: a.bucket,
      keys: [a.key],
      route: { station: String(d.stationId), partner: String(d.partnerId), test: d.test === true },
      fileName: a.fileName ?? a.key.slice(a.key.lastIndexOf("/") + 1),
      via: "as2",
    };
  }
  if (event.source === "aws.s3" && event["detail-type"] === "Object Created") {
    const bucket = (d.bucket as { name?: string } | undefined)?.name;
    const rawKey = (d.object as { key?: string } | undefined)?.key;
    if (!bucket || !rawKey) return { ignored: "Object Created without bucket or key" };
    const keys = decodedFirst(rawKey);
    for (const key of keys) {
      const drop = parseDropKey(key);
      if (drop) return { bucket, keys: [key, ...keys.filter((k) => k !== key)], ...drop, via: "sftp" };
    }
    return { ignored: `not a drop-folder file: ${rawKey}` };
  }
  return { ignored: `event ${String(event.source)} / ${String(event["detail-type"])} is not a pipeline source` };
}
