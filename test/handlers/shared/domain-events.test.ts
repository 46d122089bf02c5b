import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { mockClient } from "aws-sdk-client-mock";
import { publishDomainEvents, PublishError } from "../../../handlers/shared/domain-events";
import type { DomainEvent } from "../../../model/events";

const event = (i: number): DomainEvent => ({
  eventType: "MESSAGE.SEND.SUCCESS",
  eventId: `e${i}`,
  messageId: `m${i}`,
  timestamp: "2026-11-22T10:00:00.000Z",
  customer: "acme",
  stationId: "ST",
  partnerId: "P",
  test: false,
  attachments: [],
});

describe("publishDomainEvents", () => {
  const eb = mockClient(EventBridgeClient);
  afterEach(() => eb.reset());

  it("sends at most 10 entries per call, on the given bus, with source and detail-type", async () => {
    eb.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [] });
    await publishDomainEvents(
      new EventBridgeClient({}),
      "bus",
      Array.from({ length: 23 }, (_, i) => event(i)),
    );
    const calls = eb.commandCalls(PutEventsCommand).map((c) => c.args[0].input.Entries!);
    expect(calls.map((c) => c.length)).toEqual([10, 10, 3]);
    expect(calls[0]![0]).toMatchObject({
      EventBusName: "bus",
      Source: "as2-transfer-gateway",
      DetailType: "MESSAGE.SEND.SUCCESS",
    });
    expect(JSON.parse(calls[2]![2]!.Detail!).eventId).toBe("e22");
  });

  it("retries only the refused entries, then throws if they keep failing", async () => {
    eb.on(PutEventsCommand)
      .resolvesOnce({ FailedEntryCount: 1, Entries: [{ EventId: "1" }, { ErrorCode: "InternalFailure" }] })
      .resolves({ FailedEntryCount: 0, Entries: [{ EventId: "2" }] });
    await publishDomainEvents(new EventBridgeClient({}), "bus", [event(1), event(2)]);
    const second = eb.commandCalls(PutEventsCommand)[1]!.args[0].input.Entries!;
    expect(second.map((e) => JSON.parse(e.Detail!).eventId)).toEqual(["e2"]);

    eb.reset();
    eb.on(PutEventsCommand).resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: "ThrottlingException" }] });
    await expect(publishDomainEvents(new EventBridgeClient({}), "bus", [event(3)])).rejects.toThrow(PublishError);
    expect(eb.commandCalls(PutEventsCommand)).toHaveLength(3);
  });

  it("times SecondsToMdn from the upload when the publisher knows it", async () => {
    eb.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [] });
    const lines: string[] = [];
    const out = jest.spyOn(process.stdout, "write").mockImplementation((s) => (lines.push(String(s)), true));
    try {
      const e = {
        ...event(1),
        timestamp: "2026-11-22T10:05:00.000Z",
        lastAttemptTime: "2026-11-22T10:04:30.000Z",
        mdn: { bucket: "b", key: "k.mdn" },
      };
      await publishDomainEvents(new EventBridgeClient({}), "bus", [e], { uploadedAt: "2026-11-22T10:00:00.000Z" });
      await publishDomainEvents(new EventBridgeClient({}), "bus", [e]);
    } finally {
      out.mockRestore();
    }
    const metric = lines.map((l) => JSON.parse(l) as Record<string, unknown>).map((l) => l.SecondsToMdn);
    // From the upload (5 min), not from the last StartFileTransfer (30 s); without it, the old start.
    expect(metric).toEqual([300, 30]);
  });
});
