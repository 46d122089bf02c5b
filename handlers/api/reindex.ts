/**
 * Rebuilds the message index from the bucket: every JSON record beside a routed payload
 * (`…/_as2/<file>.json`, model/layout.ts) becomes its message's transition. Transitions only move
 * forward (index-writer.ts), so running it over a live index changes nothing that is current, and
 * running it into an empty table rebuilds the index: S3 stays the source of truth.
 *
 * Ids: a record that names its index id (`indexId`, written by the send path) keeps it; an older
 * outbound record has none and gets one derived from its claim id and file name.
 */
import { ListObjectsV2Command, type S3Client } from "@aws-sdk/client-s3";
import { createHash } from "node:crypto";
import { filesRoot, isSidecarKey, RECORD_SUFFIX, type LayoutPreset } from "../../model/layout";
import { inboundMessageId } from "../../model/api/ids";
import type { IndexTransition } from "../../model/api/index-model";
import { getJson } from "../shared/s3-object";
import { writeTransition, type IndexTarget } from "./index-writer";

type Rec = Record<string, unknown>;
const str = (v: unknown) => (typeof v === "string" && v !== "" ? v : undefined);
const num = (v: unknown) => (typeof v === "number" ? v : undefined);
const clean = <T extends object>(o: T): T =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

/** The transitions a record stands for (first seen, then final), or [] when it is not a message record. */
export function transitionsOfRecord(r: Rec, recordKey: string): IndexTransition[] {
  if (r.direction === "inbound") {
    const agreementId = str(r.agreementId);
    const as2MessageId = str(r.as2MessageId);
    const station = str(r.station);
    const partner = str(r.partner);
    if (!agreementId || !as2MessageId || !station || !partner) return [];
    const payload = r.payload as { key?: string } | undefined;
    const mdn = (r.mdn ?? {}) as Rec;
    const reason = r.reason as { failureCode?: string; failureMessage?: string } | undefined;
    const failed = r.status === "failed";
    return [
      clean({
        id: str(r.indexId) ?? inboundMessageId(agreementId, as2MessageId),
        direction: "inbound" as const,
        station,
        partner,
        test: r.test === true,
        state: failed ? ("failed" as const) : ("received" as const),
        at: str(r.completedAt) ?? str(r.receivedAt) ?? new Date(0).toISOString(),
        as2MessageId,
        subject: str(r.subject),
        files: [clean({ fileName: str(r.fileName) ?? "", size: num(r.size), key: payload?.key })],
        mdn: clean({ key: str(mdn.key), status: str(mdn.status), disposition: str(mdn.disposition) }),
        recordKey,
        failureCode: failed ? reason?.failureCode : undefined,
        failureReason: failed ? reason?.failureMessage : undefined,
      }),
    ];
  }
  const claimId = str(r.messageId);
  const station = str(r.station);
  const partner = str(r.partner);
  const fileName = str(r.fileName);
  if (!claimId || !station || !partner || !fileName || (r.status !== "delivered" && r.status !== "failed")) return [];
  const id = str(r.indexId) ?? `o-${createHash("sha256").update(`${claimId}\n${fileName}`).digest("hex").slice(0, 24)}`;
  const base = { id, direction: "outbound" as const, station, partner, test: r.test === true };
  const mdn = (r.mdn ?? {}) as Rec;
  const failed = r.status === "failed";
  const final: IndexTransition = clean({
    ...base,
    state: failed ? ("failed" as const) : ("sent" as const),
    at: str(r.completedAt) ?? str(r.lastAttemptTime) ?? str(r.claimedAt) ?? new Date(0).toISOString(),
    as2MessageId: str(r.as2MessageId),
    subject: str(r.subject),
    files: [clean({ fileName, size: num(r.size), key: str(r.payloadLeftAt) ?? str(r.key) })],
    mdn:
      str(r.mdnKey) || str(mdn.disposition)
        ? clean({ key: str(r.mdnKey), disposition: str(mdn.disposition) })
        : undefined,
    recordKey,
    failureCode: failed ? str(r.failureCode) : undefined,
    failureReason: failed ? (str(r.reason) ?? str(r.failureMessage)) : undefined,
    attempts: num(r.attempts),
    uploadKey: str(r.uploadedKey),
  });
  const claimedAt = str(r.claimedAt);
  // The claim time is when the message came into being: the list order of the live index.
  return claimedAt && claimedAt < final.at ? [{ ...base, state: "queued", at: claimedAt }, final] : [final];
}

export interface ReindexResult {
  records: number;
  written: number;
  skipped: string[];
}

export async function reindex(
  s3: S3Client,
  bucket: string,
  layout: LayoutPreset,
  target: IndexTarget,
  log: (line: string) => void = () => undefined,
): Promise<ReindexResult> {
  const out: ReindexResult = { records: 0, written: 0, skipped: [] };
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: filesRoot(layout), ContinuationToken: token }),
    );
    for (const o of page.Contents ?? []) {
      const key = o.Key!;
      if (!isSidecarKey(key) || !key.endsWith(RECORD_SUFFIX)) continue;
      out.records++;
      let record: unknown;
      try {
        record = await getJson(s3, bucket, key);
      } catch (e) {
        out.skipped.push(`${key}: ${(e as Error).message}`);
        continue;
      }
      const transitions = record && typeof record === "object" ? transitionsOfRecord(record as Rec, key) : [];
      if (!transitions.length) out.skipped.push(`${key}: not a message record`);
      for (const t of transitions) if (await writeTransition(t, target)) out.written++;
    }
    log(`${out.records} records read, ${out.written} transitions written`);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return out;
}
