import { mockClient } from "aws-sdk-client-mock";
import { EventBridgeClient, PutEventsCommand, type PutEventsCommandInput } from "@aws-sdk/client-eventbridge";
import { publishDomainEvents, PublishDomainEventsError, batchEntries } from "../../handlers/shared/domain-events";
import { EVENT_SOURCE, PUT_EVENTS_MAX_BYTES } from "../../model/events";
import { sampleEvent } from "./factories";

const eb = mockClient(EventBridgeClient);
const client = new EventBridgeClient({ region: "eu-west-1" });
const noWait = { backoffMs: () => 0 };

function events(n: number, subjectBytes = 0) {
  return Array.from({ length: n }, (_, i) =>
    sampleEvent(i % 2 ? "MESSAGE.SEND.SUCCESS" : "MESSAGE.RECEIVED.SUCCESS", {
      messageId: `m-${i}`,
      subject: "x".repeat(subjectBytes),
    }),
  );
}

function sentInputs(): PutEventsCommandInput[] {
  return eb.commandCalls(PutEventsCommand).map((c) => c.args[0].input);
}

beforeEach(() => eb.reset());

describe("publishDomainEvents", () => {
  it("sends nothing for no events", async () => {
    await publishDomainEvents(client, "as2-acme", []);
    expect(sentInputs()).toHaveLength(0);
  });

  it("batches at most 10 entries per PutEvents, in order, on the given bus", async () => {
    eb.on(PutEventsCommand).callsFake((input: PutEventsCommandInput) => ({
      FailedEntryCount: 0,
      Entries: input.Entries!.map((_, i) => ({ EventId: `e${i}` })),
    }));
    const evs = events(23);
    await publishDomainEvents(client, "as2-acme", evs, noWait);
    const inputs = sentInputs();
    expect(inputs.map((i) => i.Entries!.length)).toEqual([10, 10, 3]);
    const all = inputs.flatMap((i) => i.Entries!);
    expect(all.map((e) => JSON.parse(e.Detail!).messageId)).toEqual(evs.map((e) => e.messageId));
    expect(new Set(all.map((e) => e.EventBusName))).toEqual(new Set(["as2-acme"]));
    expect(new Set(all.map((e) => e.Source))).toEqual(new Set([EVENT_SOURCE]));
    expect(all.map((e) => e.DetailType)).toEqual(evs.map((e) => e.eventType));
  });

  it("keeps each request under 256 KB", async () => {
    eb.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [] });
    await publishDomainEvents(client, "as2-acme", events(6, 100 * 1024), noWait);
    const sizes = sentInputs().map((i) =>
      i.Entries!.reduce((n, e) => n + Buffer.byteLength(e.Detail!) + e.Source!.length + e.DetailType!.length + 14, 0),
    );
    expect(sizes.length).toBe(3);
    for (const s of sizes) expect(s).toBeLessThanOrEqual(PUT_EVENTS_MAX_BYTES);
  });

  it("retries only the entries EventBridge refused", async () => {
    eb.on(PutEventsCommand)
      .resolvesOnce({
        FailedEntryCount: 2,
        Entries: [
          { EventId: "a" },
          { ErrorCode: "ThrottlingException", ErrorMessage: "slow down" },
          { EventId: "c" },
          { ErrorCode: "InternalFailure" },
        ],
      })
      .resolves({ FailedEntryCount: 0, Entries: [{ EventId: "b" }, { EventId: "d" }] });
    const evs = events(4);
    await publishDomainEvents(client, "as2-acme", evs, noWait);
    const inputs = sentInputs();
    expect(inputs).toHaveLength(2);
    expect(inputs[1]!.Entries!.map((e) => JSON.parse(e.Detail!).messageId)).toEqual(["m-1", "m-3"]);
  });

  it("throws with every still-refused event after the last attempt, so the caller's retry and DLQ apply", async () => {
    eb.on(PutEventsCommand).callsFake((input: PutEventsCommandInput) => ({
      FailedEntryCount: 1,
      Entries: input.Entries!.map((e) =>
        JSON.parse(e.Detail!).messageId === "m-2"
          ? { ErrorCode: "InternalFailure", ErrorMessage: "boom" }
          : { EventId: "ok" },
      ),
    }));
    const evs = events(3);
    const err = await publishDomainEvents(client, "as2-acme", evs, { ...noWait, maxAttempts: 4 }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(PublishDomainEventsError);
    expect((err as PublishDomainEventsError).failed).toEqual([
      { eventId: evs[2]!.eventId, eventType: evs[2]!.eventType, errorCode: "InternalFailure", errorMessage: "boom" },
    ]);
    expect((err as Error).message).toContain("after 4 attempt(s)");
    expect(sentInputs()).toHaveLength(4);
    expect(sentInputs()[3]!.Entries).toHaveLength(1);
  });

  it("retries a whole batch when FailedEntryCount gives no per-entry codes", async () => {
    eb.on(PutEventsCommand)
      .resolvesOnce({ FailedEntryCount: 2, Entries: [] })
      .resolves({ FailedEntryCount: 0, Entries: [] });
    await publishDomainEvents(client, "as2-acme", events(2), noWait);
    expect(sentInputs().map((i) => i.Entries!.length)).toEqual([2, 2]);
  });

  it("lets an SDK error through (the SDK already retried throttling)", async () => {
    eb.on(PutEventsCommand).rejects(new Error("AccessDeniedException"));
    await expect(publishDomainEvents(client, "as2-acme", events(1), noWait)).rejects.toThrow("AccessDeniedException");
  });

  it("refuses an event larger than a PutEvents request before calling AWS", async () => {
    await expect(publishDomainEvents(client, "as2-acme", events(1, 300 * 1024), noWait)).rejects.toThrow(
      /EntryTooLarge/,
    );
    expect(sentInputs()).toHaveLength(0);
  });
});

describe("batchEntries", () => {
  it("starts a new batch at 10 entries or when the next entry would pass 256 KB", () => {
    const items = [100, 200, PUT_EVENTS_MAX_BYTES - 300, 1, ...Array(12).fill(1)].map((size) => ({ size }));
    expect(batchEntries(items).map((b) => b.length)).toEqual([3, 10, 3]);
  });
});
