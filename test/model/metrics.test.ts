/** The message metrics' EMF fields (model/metrics.ts): what CloudWatch turns into the dashboard's per-partner series. */
import { MESSAGES_METRIC, TIME_TO_MDN_METRIC, messageMetricFields } from "../../model/metrics";

const base = { customer: "acme", partnerId: "PARTNER", timestamp: "2026-11-22T17:55:00.000Z" };

it("counts one message per event in the customer's namespace, by partner and event type", () => {
  const f = messageMetricFields({ ...base, eventType: "MESSAGE.RECEIVED.SUCCESS" }) as any;
  expect(f._aws.CloudWatchMetrics).toEqual([
    {
      Namespace: "as2-transfer-gateway/acme",
      Dimensions: [["Partner", "EventType"]],
      Metrics: [{ Name: MESSAGES_METRIC, Unit: "Count" }],
    },
  ]);
  expect(f).toMatchObject({ Partner: "PARTNER", EventType: "MESSAGE.RECEIVED.SUCCESS", [MESSAGES_METRIC]: 1 });
  expect(f[TIME_TO_MDN_METRIC]).toBeUndefined();
});

it("adds the seconds from the last transfer attempt to the MDN for a send with an MDN", () => {
  const f = messageMetricFields({
    ...base,
    eventType: "MESSAGE.SEND.SUCCESS",
    lastAttemptTime: "2026-11-22T17:54:30.000Z",
    mdn: { bucket: "b", key: "k" },
  }) as any;
  expect(f[TIME_TO_MDN_METRIC]).toBe(30);
  expect(f._aws.CloudWatchMetrics[0].Metrics).toContainEqual({ Name: TIME_TO_MDN_METRIC, Unit: "Seconds" });
});
