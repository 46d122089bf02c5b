/**
 * Publishes domain events on the customer's bus. PutEvents takes at most 10 entries and 256 KB per
 * call and may accept some entries while refusing others (FailedEntryCount): refused entries are
 * retried with backoff, and if some are still refused the call throws, so that the caller's own
 * retry and dead-letter queue apply (event ids are stable, so a repeat is harmless downstream).
 */
import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from "@aws-sdk/client-eventbridge";
import {
  putEventsEntry,
  putEventsEntrySize,
  PUT_EVENTS_MAX_BYTES,
  PUT_EVENTS_MAX_ENTRIES,
  type DomainEvent,
  type EventBridgeEntry,
} from "../../model/events";
import { messageMetricFields } from "../../model/metrics";
import { logger } from "./logger";

export interface PublishOptions {
  /** Attempts per entry, the first included. @default 3 */
  readonly maxAttempts?: number;
  /** Delay before the n-th retry (n from 1). @default 100 ms × 2^(n-1) with full jitter */
  readonly backoffMs?: (retry: number) => number;
  /** When the messages were uploaded (sends): SecondsToMdn runs from there (model/metrics.ts). */
  readonly uploadedAt?: string;
}

export interface FailedEntry {
  readonly eventId: string;
  readonly eventType: string;
  readonly errorCode?: string;
  readonly errorMessage?: string;
}

let client: EventBridgeClient | undefined;
/** One client per container, configured the SDK's standard way (AWS_ENDPOINT_URL_EVENTBRIDGE redirects it). */
export function eventBridgeClient(): EventBridgeClient {
  client ??= new EventBridgeClient({});
  return client;
}

/** The PutEvents entry of one event (model/events.ts putEventsEntry, in the SDK's type). */
export function toPutEventsEntry(busName: string, event: DomainEvent): PutEventsRequestEntry {
  return putEventsEntry(event, busName);
}

export class PublishError extends Error {
  constructor(
    readonly failed: readonly FailedEntry[],
    readonly attempts: number,
  ) {
    super(
      `EventBridge refused ${failed.length} domain event(s) after ${attempts} attempt(s): ` +
        failed
          .map((f) => `${f.eventType} ${f.eventId} (${f.errorCode ?? "unknown"}: ${f.errorMessage ?? ""})`)
          .join("; "),
    );
    this.name = "PublishError";
  }
}
/** The same class under the name that says what failed. */
export { PublishError as PublishDomainEventsError };

const defaultBackoff = (retry: number) => Math.random() * 100 * 2 ** (retry - 1);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Pending {
  readonly event: DomainEvent;
  readonly entry: EventBridgeEntry;
  readonly size: number;
}

/** Splits entries into PutEvents requests: ≤ 10 entries and ≤ 256 KB each, order kept. */
export function batchEntries<T extends { readonly size: number }>(items: readonly T[]): T[][] {
  const batches: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const item of items) {
    if (current.length > 0 && (current.length === PUT_EVENTS_MAX_ENTRIES || bytes + item.size > PUT_EVENTS_MAX_BYTES)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += item.size;
  }
  if (current.length) batches.push(current);
  return batches;
}

export async function publishDomainEvents(
  client: EventBridgeClient,
  busName: string,
  events: readonly DomainEvent[],
  options: PublishOptions = {},
): Promise<void> {
  const maxAttempts = options.maxAttempts ?? 3;
  const backoff = options.backoffMs ?? defaultBackoff;
  let pending: Pending[] = events.map((event) => {
    const entry = putEventsEntry(event, busName);
    return { event, entry, size: putEventsEntrySize(entry) };
  });
  const tooBig = pending.find((p) => p.size > PUT_EVENTS_MAX_BYTES);
  if (tooBig) {
    throw new PublishError(
      [
        {
          eventId: tooBig.event.eventId,
          eventType: tooBig.event.eventType,
          errorCode: "EntryTooLarge",
          errorMessage: `${tooBig.size} bytes > ${PUT_EVENTS_MAX_BYTES}`,
        },
      ],
      0,
    );
  }
  let lastErrors: FailedEntry[] = [];
  for (let attempt = 1; attempt <= maxAttempts && pending.length > 0; attempt++) {
    if (attempt > 1) await sleep(backoff(attempt - 1));
    const refused: Pending[] = [];
    lastErrors = [];
    for (const batch of batchEntries(pending)) {
      const out = await client.send(new PutEventsCommand({ Entries: batch.map((p) => p.entry) }));
      if (!out.FailedEntryCount) continue;
      // Result entries are in request order; an entry with an ErrorCode was not published.
      const before = refused.length;
      (out.Entries ?? []).forEach((r, i) => {
        const p = batch[i];
        if (p && r.ErrorCode) {
          refused.push(p);
          lastErrors.push({
            eventId: p.event.eventId,
            eventType: p.event.eventType,
            errorCode: r.ErrorCode,
            ...(r.ErrorMessage ? { errorMessage: r.ErrorMessage } : {}),
          });
        }
      });
      if (refused.length === before) {
        // FailedEntryCount without per-entry codes: retry the whole batch rather than lose events.
        refused.push(...batch);
        lastErrors.push(
          ...batch.map((p) => ({ eventId: p.event.eventId, eventType: p.event.eventType, errorCode: "Unknown" })),
        );
      }
    }
    pending = refused;
    if (pending.length > 0 && attempt === maxAttempts) throw new PublishError(lastErrors, attempt);
  }
  // One EMF line per published event: the per-partner message metrics (model/metrics.ts).
  for (const event of events)
    logger.info(
      "domain event published",
      messageMetricFields(options.uploadedAt ? { ...event, uploadedAt: options.uploadedAt } : event),
    );
}
