/**
 * What an inbound Transfer event says about a message, checked against the routing document:
 * the partner comes from the agreement id (never from Transfer's paths), the key must lie in that
 * agreement's base directory, and times and tags come from the event so that retries agree.
 */
import type { InboxNaming, LayoutPreset, Route } from "../../model/layout";
import { stableTag } from "../../model/layout";
import type { RoutingPartner } from "../../model/routing";
import type { TransferEvent } from "../shared/transfer-events";
import type { ReceiveContext } from "./context";
import { UnroutableEventError } from "./errors";
import { receivedFileName } from "./file-name";
import { messagePk, stripUndefined, type MessageItem } from "./message-index";

export interface InboundFacts {
  readonly event: TransferEvent;
  readonly agreementId: string;
  readonly as2MessageId: string;
  readonly pk: string;
  readonly partner: RoutingPartner;
  readonly route: Route;
  readonly preset: LayoutPreset;
  readonly naming: InboxNaming;
  /** Identifies this delivery of the message: the same for a re-delivered event, new for a resend. */
  readonly occurrence: string;
  /** When Transfer received the message: names timestamp folders, so it must not come from the clock. */
  readonly at: Date;
  readonly sourceKey?: string;
  readonly statusKey?: string;
  readonly fileName: string;
}

function eventTime(ev: TransferEvent): Date | undefined {
  for (const t of [ev.startTimestamp, ev.endTimestamp, ev.time]) {
    if (t === undefined) continue;
    const d = new Date(t);
    if (!Number.isNaN(d.getTime())) return d;
  }
  return undefined;
}

export function inboundFacts(
  ctx: ReceiveContext,
  ev: TransferEvent,
  opts: { requireMessageId: boolean; requireFile: boolean },
): InboundFacts {
  const what = `${ev.detailType}${ev.id ? ` (event ${ev.id})` : ""}`;
  if (!ev.agreementId)
    throw new UnroutableEventError(`${what} has no agreement-id: inbound events are routed by agreement`);
  const partner = ctx.routing.byAgreementId(ev.agreementId);
  if (!partner) {
    throw new UnroutableEventError(
      `${what}: agreement ${ev.agreementId} is not in the routing document of customer ${ctx.routing.doc.customer} (redeploy the stack if the agreement is new)`,
    );
  }
  for (const loc of [ev.file, ev.json, ev.mdn]) {
    if (loc?.bucket !== undefined && loc.bucket !== ctx.bucket) {
      throw new UnroutableEventError(
        `${what}: object in bucket ${loc.bucket}, but this gateway's bucket is ${ctx.bucket}`,
      );
    }
    if (loc?.key !== undefined && !loc.key.startsWith(partner.inboundPrefix)) {
      throw new UnroutableEventError(
        `${what}: key ${loc.key} is outside the base directory ${partner.inboundPrefix} of agreement ${ev.agreementId}`,
      );
    }
  }
  const sourceKey = ev.file?.key;
  if (opts.requireFile && !sourceKey) throw new UnroutableEventError(`${what} names no file (s3-attributes.file-key)`);
  const at = eventTime(ev);
  if (!at) throw new UnroutableEventError(`${what} carries no usable timestamp`);
  const occurrence = stableTag(
    `${ev.startTimestamp ?? ""}\n${sourceKey ?? ""}\n${ev.startTimestamp ? "" : (ev.id ?? "")}`,
    16,
  );
  if (opts.requireMessageId && !ev.as2MessageId) throw new UnroutableEventError(`${what} has no as2-message-id`);
  // A failure can happen before the message id is read; each such delivery stands alone.
  const as2MessageId = ev.as2MessageId ?? `unidentified-${occurrence}`;
  const layout = ctx.routing.doc.layout;
  return stripUndefined({
    event: ev,
    agreementId: ev.agreementId,
    as2MessageId,
    pk: messagePk(ev.agreementId, as2MessageId),
    partner,
    route: { station: partner.station, partner: partner.partner, test: partner.test },
    preset: layout,
    naming: ctx.routing.station(partner.station)?.inboxNaming ?? "plain",
    occurrence,
    at,
    sourceKey,
    statusKey: ev.json?.key,
    fileName: receivedFileName(ev.requesterFileName, sourceKey, as2MessageId),
  });
}

/** The index fields an event contributes (a later event fills in what an earlier one lacked). */
export function itemFields(f: InboundFacts): Partial<MessageItem> {
  const ev = f.event;
  return stripUndefined({
    agreementId: f.agreementId,
    as2MessageId: f.as2MessageId,
    occurrence: f.occurrence,
    station: f.route.station,
    partner: f.route.partner,
    test: f.route.test,
    serverId: ev.serverId,
    as2From: ev.as2From,
    as2To: ev.as2To,
    subject: ev.subject,
    clientIp: ev.clientIp,
    requesterFileName: ev.requesterFileName,
    fileName: f.fileName,
    startTimestamp: ev.startTimestamp,
    endTimestamp: ev.endTimestamp,
    statusCode: ev.statusCode,
    disposition: ev.disposition,
    failureCode: ev.failureCode,
    failureMessage: ev.failureMessage,
    bytes: ev.bytes,
    sourceKey: f.sourceKey,
    statusKey: f.statusKey,
    at: f.at.toISOString(),
    duplicateReported: isDuplicateDisposition(ev.disposition) || undefined,
  });
}

/** Where the delivery an index item recorded is routed to, from the item alone (a takeover has no event of it). */
export interface RoutingWork {
  readonly route: Route;
  readonly preset: LayoutPreset;
  readonly naming: InboxNaming;
  readonly at: Date;
  /** Owner of the destination reservations: the same for every invocation finishing this delivery. */
  readonly owner: string;
}

export function routingWork(ctx: ReceiveContext, item: MessageItem): RoutingWork {
  const partner = ctx.routing.byAgreementId(item.agreementId);
  if (!partner) {
    throw new UnroutableEventError(
      `message ${item.as2MessageId}: agreement ${item.agreementId} is no longer in the routing document of customer ${ctx.routing.doc.customer}`,
    );
  }
  // Items written before `at` was recorded: the event time inboundFacts took (start, then end).
  const at = new Date(item.at ?? item.startTimestamp ?? item.endTimestamp ?? "");
  if (Number.isNaN(at.getTime()))
    throw new UnroutableEventError(`message ${item.as2MessageId}: no receive time recorded`);
  return {
    route: { station: partner.station, partner: partner.partner, test: partner.test },
    preset: ctx.routing.doc.layout,
    naming: ctx.routing.station(partner.station)?.inboxNaming ?? "plain",
    at,
    owner: `${item.pk}#${item.occurrence ?? ""}`,
  };
}

/** ISO time of a recorded delivery's outcome, for domain events: from what Transfer said, never the clock. */
export function recordedOutcomeTime(item: MessageItem, work: RoutingWork): string {
  for (const t of [item.endTimestamp, item.startTimestamp]) {
    if (t !== undefined && !Number.isNaN(Date.parse(t))) return new Date(t).toISOString();
  }
  return work.at.toISOString();
}

/** RFC 4130 `processed/warning: duplicate-document`: the receiver saw this message id before. */
export function isDuplicateDisposition(disposition: string | undefined): boolean {
  return disposition !== undefined && /duplicate-document/i.test(disposition);
}

/** ISO time of the outcome, for domain events: from the event, never the clock. */
export function outcomeTime(f: InboundFacts): string {
  const ev = f.event;
  for (const t of [ev.endTimestamp, ev.startTimestamp, ev.time]) {
    if (t !== undefined && !Number.isNaN(Date.parse(t))) return new Date(t).toISOString();
  }
  return f.at.toISOString();
}
