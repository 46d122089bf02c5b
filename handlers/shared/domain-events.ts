/**
 * Publishes domain events on the customer's bus. PutEvents takes at most 10 entries and may accept
 * some and refuse others: refused entries are retried, and if any still fail the call throws so the
 * caller's retry and dead-letter path applies (events are idempotent by `eventId`).
 */
import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from "@aws-sdk/client-eventbridge";
import { EVENT_SOURCE, type DomainEvent } from "../../model/events";

const MAX_ENTRIES = 10;
const ATTEMPTS = 3;

let client: EventBridgeClient | undefined;
export function eventBridgeClient(): EventBridgeClient {
  client ??= new EventBridgeClient({});
  return client;
}

export function toPutEventsEntry(busName: string, event: DomainEvent): PutEventsRequestEntry {
  return { EventBusName: busName, Source: EVENT_SOURCE, DetailType: event.eventType, Detail: JSON.stringify(event), Time: new Date(event.timestamp) };
}

export class PublishError extends Error {
  override readonly name = "PublishError";
}

export async function publishDomainEvents(eb: EventBridgeClient, busName: string, events: readonly DomainEvent[]): Promise<void> {
  for (let i = 0; i < events.length; i += MAX_ENTRIES) {
    let pending = events.slice(i, i + MAX_ENTRIES).map((e) => toPutEventsEntry(busName, e));
    for (let attempt = 1; pending.length > 0; attempt++) {
      const r = await eb.send(new PutEventsCommand({ Entries: pending }));
      if (!r.FailedEntryCount) break;
      const failed = pending.filter((_, j) => r.Entries?.[j]?.ErrorCode);
      if (attempt >= ATTEMPTS) {
        const codes = [...new Set((r.Entries ?? []).map((e) => e.ErrorCode).filter(Boolean))].join(", ");
        throw new PublishError(`${failed.length} domain event(s) were not accepted by ${busName} after ${ATTEMPTS} attempts (${codes})`);
      }
      pending = failed;
    }
  }
}
