import { readFileSync } from "node:fs";
import { join } from "node:path";
import Ajv2020 from "ajv/dist/2020";
import addFormats from "ajv-formats";
import { HTTP, CloudEvent } from "cloudevents";
import {
  DOMAIN_EVENT_TYPES,
  EVENT_SOURCE,
  DOMAIN_EVENT_SCHEMA_ID,
  domainEvent,
  stableEventId,
  putEventsEntry,
  putEventsEntrySize,
  DomainEventError,
  type DomainEvent,
} from "../../model/events";
import { WEBHOOK_EVENT_TYPES } from "../../model/customer";
import { domainEventJsonSchemaText, domainEventSchema } from "../../model/event-schema";
import { toCloudEvent, toCloudEventJson, CLOUDEVENTS_CONTENT_TYPE } from "../../model/cloudevent";
import { eventInput, sampleEvent } from "./factories";

const ROOT = join(__dirname, "..", "..");
const SCHEMA_FILE = join(ROOT, "templates", "domain-event.schema.json");

function validator() {
  const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false });
  addFormats(ajv);
  return ajv.compile(JSON.parse(readFileSync(SCHEMA_FILE, "utf8")));
}

describe("domain event JSON Schema", () => {
  it("the committed templates/domain-event.schema.json is current (npm run schema)", () => {
    expect(readFileSync(SCHEMA_FILE, "utf8")).toBe(domainEventJsonSchemaText());
    expect(JSON.parse(readFileSync(SCHEMA_FILE, "utf8")).$id).toBe(DOMAIN_EVENT_SCHEMA_ID);
  });

  it("lists the same four event types as the customer model", () => {
    expect([...DOMAIN_EVENT_TYPES].sort()).toEqual([...WEBHOOK_EVENT_TYPES].sort());
  });

  it.each(DOMAIN_EVENT_TYPES.map((t) => [t]))("%s built by domainEvent() matches the schema (ajv and zod)", (t) => {
    const validate = validator();
    const event = JSON.parse(JSON.stringify(sampleEvent(t)));
    expect({ ok: validate(event), errors: validate.errors }).toEqual({ ok: true, errors: null });
    expect(domainEventSchema.safeParse(event).success).toBe(true);
  });

  it("a failure needs failureCode and failureMessage; failureReason mirrors the message", () => {
    const validate = validator();
    const e = sampleEvent("MESSAGE.SEND.FAILED");
    expect(e.failureReason).toBe(e.failureMessage);
    const { failureCode: _c, ...withoutCode } = JSON.parse(JSON.stringify(e)) as DomainEvent;
    expect(validate(withoutCode)).toBe(false);
    expect(JSON.stringify(validate.errors)).toContain("failureCode");
  });

  it("rejects an unknown event type, a missing station and a non-ISO timestamp", () => {
    const validate = validator();
    const good = JSON.parse(JSON.stringify(sampleEvent("MESSAGE.RECEIVED.SUCCESS")));
    expect(validate({ ...good, eventType: "MESSAGE.DELETED" })).toBe(false);
    const { stationId: _s, ...noStation } = good;
    expect(validate(noStation)).toBe(false);
    expect(validate({ ...good, timestamp: "22/11/2026" })).toBe(false);
  });

  it("accepts fields it does not know (the shape only grows)", () => {
    const validate = validator();
    expect(validate({ ...JSON.parse(JSON.stringify(sampleEvent("MESSAGE.SEND.SUCCESS"))), futureField: 1 })).toBe(true);
  });
});

describe("domainEvent()", () => {
  it("refuses a failure without a code and a success with one", () => {
    expect(() => domainEvent(eventInput("MESSAGE.RECEIVED.FAILED", { failureCode: undefined }))).toThrow(
      DomainEventError,
    );
    expect(() => domainEvent(eventInput("MESSAGE.SEND.SUCCESS", { failureCode: "X", failureMessage: "y" }))).toThrow(
      /cannot carry failureCode/,
    );
    expect(() => domainEvent(eventInput("MESSAGE.SEND.SUCCESS", { timestamp: "yesterday" }))).toThrow(/ISO-8601/);
  });

  it("derives a stable UUID-shaped event id from customer, type and message, unless given", () => {
    const a = sampleEvent("MESSAGE.SEND.SUCCESS");
    const b = sampleEvent("MESSAGE.SEND.SUCCESS");
    expect(a.eventId).toBe(b.eventId);
    expect(a.eventId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(sampleEvent("MESSAGE.SEND.FAILED").eventId).not.toBe(a.eventId);
    expect(stableEventId("acme", "MESSAGE.SEND.SUCCESS", "other")).not.toBe(a.eventId);
    expect(sampleEvent("MESSAGE.SEND.SUCCESS", { eventId: "given" }).eventId).toBe("given");
  });
});

describe("EventBridge entry", () => {
  it("has the gateway source, the event type as detail-type, the event as detail and the bus", () => {
    const e = sampleEvent("MESSAGE.RECEIVED.FAILED");
    const entry = putEventsEntry(e, "as2-acme");
    expect(entry).toEqual({
      Source: EVENT_SOURCE,
      DetailType: "MESSAGE.RECEIVED.FAILED",
      Detail: JSON.stringify(e),
      EventBusName: "as2-acme",
      Time: new Date("2026-11-22T17:54:32.123Z"),
    });
    expect(JSON.parse(entry.Detail)).toEqual(e);
    expect(putEventsEntrySize(entry)).toBe(
      14 + EVENT_SOURCE.length + "MESSAGE.RECEIVED.FAILED".length + Buffer.byteLength(entry.Detail),
    );
  });
});

describe("CloudEvents form", () => {
  it.each(DOMAIN_EVENT_TYPES.map((t) => [t]))(
    "%s renders as a valid structured CloudEvent whose data is the event",
    (t) => {
      const e = sampleEvent(t);
      const json = toCloudEventJson(e);
      const parsed = HTTP.toEvent({
        headers: { "content-type": CLOUDEVENTS_CONTENT_TYPE },
        body: json,
      }) as CloudEvent<DomainEvent>;
      expect(parsed.validate()).toBe(true);
      expect(parsed.specversion).toBe("1.0");
      expect(parsed.id).toBe(e.eventId);
      expect(parsed.type).toBe(t);
      expect(parsed.source).toBe("as2-transfer-gateway/acme");
      expect(parsed.subject).toBe("ACME/GLOBEX");
      expect(parsed.time).toBe("2026-11-22T17:54:32.123Z");
      expect(parsed.dataschema).toBe(DOMAIN_EVENT_SCHEMA_ID);
      expect(parsed.data).toEqual(JSON.parse(JSON.stringify(e)));
      const validate = validator();
      expect(validate(parsed.data)).toBe(true);
    },
  );

  it("refuses an event the SDK finds invalid", () => {
    expect(() => toCloudEvent({ ...sampleEvent("MESSAGE.SEND.SUCCESS"), eventId: "" })).toThrow(/without eventId/);
    expect(() => toCloudEvent({ ...sampleEvent("MESSAGE.SEND.SUCCESS"), eventType: "" as never })).toThrow(
      /invalid payload/,
    );
  });
});

describe("failures that cannot be attributed", () => {
  it("a failure may have an empty station or partner; a success may not", () => {
    const validate = validator();
    const failure = JSON.parse(
      JSON.stringify(sampleEvent("MESSAGE.RECEIVED.FAILED", { stationId: "", partnerId: "" })),
    );
    expect({ ok: validate(failure), errors: validate.errors }).toEqual({ ok: true, errors: null });
    const success = JSON.parse(JSON.stringify(sampleEvent("MESSAGE.RECEIVED.SUCCESS", { stationId: "" })));
    expect(validate(success)).toBe(false);
  });
});
