/** Checks a published domain event against what the README and templates/ promise. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import Ajv2020 from "ajv/dist/2020";
import addFormats from "ajv-formats";
import { HTTP } from "cloudevents";
import { PutEventsCommand } from "@aws-sdk/client-eventbridge";
import type { AwsStub } from "aws-sdk-client-mock";
import { toCloudEventJson, CLOUDEVENTS_CONTENT_TYPE } from "../../model/cloudevent";
import { EVENT_SOURCE, type DomainEvent } from "../../model/events";

const SCHEMA = JSON.parse(readFileSync(join(__dirname, "..", "..", "templates", "domain-event.schema.json"), "utf8"));
const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false });
addFormats(ajv);
const validate = ajv.compile(SCHEMA);

export interface BusEvent {
  readonly source: string;
  readonly "detail-type": string;
  readonly EventBusName: string;
  readonly detail: DomainEvent;
}

/** What a handler put on the bus, shaped as EventBridge hands it to rules. */
export function busEvents(eventBridge: AwsStub<any, any, any>): BusEvent[] {
  return eventBridge
    .commandCalls(PutEventsCommand)
    .flatMap((c) => c.args[0].input.Entries ?? [])
    .map((e) => ({
      source: e.Source!,
      "detail-type": e.DetailType!,
      EventBusName: e.EventBusName!,
      detail: JSON.parse(e.Detail!) as DomainEvent,
    }));
}

/** The event follows the JSON Schema (ajv) and renders as a valid CloudEvent carrying it unchanged. */
export function expectDocumented(e: BusEvent): void {
  expect(e.source).toBe(EVENT_SOURCE);
  expect(e["detail-type"]).toBe(e.detail.eventType);
  expect({ eventType: e.detail.eventType, ok: validate(e.detail), errors: validate.errors }).toEqual({
    eventType: e.detail.eventType,
    ok: true,
    errors: null,
  });
  const ce = HTTP.toEvent({
    headers: { "content-type": CLOUDEVENTS_CONTENT_TYPE },
    body: toCloudEventJson(e.detail),
  }) as unknown as { validate(): boolean; data: unknown; type: string; id: string };
  expect(ce.validate()).toBe(true);
  expect(ce.type).toBe(e.detail.eventType);
  expect(ce.id).toBe(e.detail.eventId);
  expect(ce.data).toEqual(e.detail);
}
