import { matchesPattern } from "./event-pattern";
import { webhookEventPattern } from "../../stacks/events/webhooks";
import { transferEventArchivePattern } from "../../stacks/events/event-archive";

describe("test matcher for EventBridge patterns", () => {
  const event = {
    source: "as2-transfer-gateway",
    "detail-type": "MESSAGE.SEND.FAILED",
    detail: { stationId: "ACME", test: false },
  };

  it("matches listed values, nested fields and prefixes", () => {
    expect(matchesPattern(webhookEventPattern({ events: ["MESSAGE.SEND.FAILED"], stations: ["ACME"] }), event)).toBe(
      true,
    );
    expect(matchesPattern(webhookEventPattern({ events: ["MESSAGE.SEND.SUCCESS"] }), event)).toBe(false);
    expect(matchesPattern(webhookEventPattern({ events: ["MESSAGE.SEND.FAILED"], stations: ["OTHER"] }), event)).toBe(
      false,
    );
    expect(
      matchesPattern(transferEventArchivePattern(), { source: "aws.transfer", "detail-type": "AS2 MDN Send Failed" }),
    ).toBe(true);
    expect(
      matchesPattern(transferEventArchivePattern(), {
        source: "aws.transfer",
        "detail-type": "SFTP Server File Upload Completed",
      }),
    ).toBe(false);
  });

  it("an empty station list means every station", () => {
    expect(webhookEventPattern({ events: ["MESSAGE.SEND.FAILED"], stations: [] })).not.toHaveProperty("detail");
  });

  it("refuses operators it does not implement", () => {
    expect(() => matchesPattern({ source: [{ "anything-but": "x" }] }, event)).toThrow(/unsupported/);
  });
});
