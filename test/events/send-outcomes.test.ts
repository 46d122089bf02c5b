/**
 * Domain events from real send outcomes (settle and result handlers on s3rver + dynalite; Transfer,
 * SQS and EventBridge mocked by the send harness) match the published schema, render as CloudEvents
 * and are picked by the rules the event-delivery stack writes.
 */
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { webhookEventPattern } from "../../stacks/events/webhooks";
import { failureEventPattern } from "../../stacks/events/notifications";
import { domainEventArchivePattern } from "../../stacks/events/event-archive";
import { SendHarness, BUCKET, BUS, transferMdnKey } from "../send/harness";
import { busEvents, expectDocumented } from "./documented";
import { matchesPattern } from "./event-pattern";

let h: SendHarness;
beforeAll(async () => {
  h = await SendHarness.start();
});
afterAll(() => h.stop());
beforeEach(() => h.reset());

const ALL = [
  "MESSAGE.RECEIVED.SUCCESS",
  "MESSAGE.RECEIVED.FAILED",
  "MESSAGE.SEND.SUCCESS",
  "MESSAGE.SEND.FAILED",
] as const;
const everything = webhookEventPattern({ events: [...ALL] });
const acmeFailures = webhookEventPattern({
  events: ["MESSAGE.SEND.FAILED", "MESSAGE.RECEIVED.FAILED"],
  stations: ["ACME"],
});
const elsewhereFailures = webhookEventPattern({
  events: ["MESSAGE.SEND.FAILED", "MESSAGE.RECEIVED.FAILED"],
  stations: ["ELSEWHERE"],
});

async function uploadAndSend(key: string, body = `payload of ${key}`): Promise<string> {
  const o = await h.upload(key, body);
  h.at(o.lastModified!, 16);
  expect((await h.settle(h.s3Event(o))).batchItemFailures).toEqual([]);
  const paths = h.transfers.at(-1)?.SendFilePaths ?? [];
  return paths[0] ? paths[0].slice(`/${BUCKET}/`.length) : "";
}

describe("send handler outcomes", () => {
  it("MESSAGE.SEND.SUCCESS after a positive MDN: documented, to the global webhook and the archive only", async () => {
    const staged = await uploadAndSend("AS2/send/ACME/PARTNER/invoice 7+%.xml", "<invoice/>");
    const tid = h.transferIds[0]!;
    const mdn = transferMdnKey(staged, tid);
    await h.aws.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: mdn, Body: "MDN bytes" }));
    await h.result(h.transferEvent("AS2 Payload Send Completed", staged, tid));
    await h.result(
      h.transferEvent(
        "AS2 MDN Receive Completed",
        staged,
        tid,
        { disposition: "automatic-action/MDN-sent-automatically; processed" },
        { "mdn-bucket": BUCKET, "mdn-key": `/${mdn}` },
      ),
    );
    const [e, ...more] = busEvents(h.eventBridge);
    expect(more).toEqual([]);
    expect(e!.EventBusName).toBe(BUS);
    expect(e!.detail).toMatchObject({
      eventType: "MESSAGE.SEND.SUCCESS",
      stationId: "ACME",
      partnerId: "PARTNER",
      transferId: tid,
    });
    expectDocumented(e!);
    expect(matchesPattern(everything, e)).toBe(true);
    expect(matchesPattern(domainEventArchivePattern(), e)).toBe(true);
    expect(matchesPattern(acmeFailures, e)).toBe(false);
    expect(matchesPattern(failureEventPattern(), e)).toBe(false);
  });

  it("MESSAGE.SEND.FAILED for an unknown partner: documented, to the station's failure webhook and the alarm topic", async () => {
    await uploadAndSend("AS2/send/ACME/NOBODY/order 1.edi", "x");
    const [e] = busEvents(h.eventBridge);
    expect(e!.detail).toMatchObject({
      eventType: "MESSAGE.SEND.FAILED",
      failureCode: "UNKNOWN_PARTNER",
      partnerId: "NOBODY",
    });
    expectDocumented(e!);
    expect(matchesPattern(acmeFailures, e)).toBe(true);
    expect(matchesPattern(elsewhereFailures, e)).toBe(false);
    expect(matchesPattern(failureEventPattern(), e)).toBe(true);
  });

  it("MESSAGE.SEND.FAILED on Transfer's permanent failure and on a negative MDN: documented", async () => {
    const staged = await uploadAndSend("AS2/send/ACME/PARTNER/wrong cert.dat", "cert");
    await h.result(
      h.transferEvent("AS2 MDN Receive Failed", staged, h.transferIds[0]!, {
        "failure-code": "VERIFICATION_FAILED_NO_MATCHING_KEY_FOUND",
        "failure-message": "No public certificate matching message signature",
      }),
    );
    const staged2 = await uploadAndSend("AS2/send/ACME/PARTNER/negative.edi");
    await h.result(
      h.transferEvent("AS2 MDN Receive Completed", staged2, h.transferIds.at(-1)!, {
        disposition: "automatic-action/MDN-sent-automatically; processed/error: decryption-failed",
      }),
    );
    const events = busEvents(h.eventBridge);
    expect(events.map((e) => e.detail.failureCode)).toEqual([
      "VERIFICATION_FAILED_NO_MATCHING_KEY_FOUND",
      "NEGATIVE_MDN",
    ]);
    for (const e of events) {
      expectDocumented(e);
      expect(e.detail.failureReason).toBe(e.detail.failureMessage);
      expect(matchesPattern(failureEventPattern(), e)).toBe(true);
    }
  });
});
