/**
 * Issue #11, receive side: a partner's payload named `orders.xml.json` is never replaced by the
 * record of a later `orders.xml`, and every write into inbox/ is conditional (`If-None-Match: *`).
 */
import { isSidecarKey, recordKey } from "../../model/layout";
import { resetClients } from "../../handlers/shared/clients";
import { startLocalAws, type LocalAws } from "../helpers/local-servers";
import {
  acceptAllEvents,
  invoke,
  payloadCompleted,
  put,
  read,
  setUpCustomer,
  storedKey,
  userKeys,
  type TestCustomer,
} from "../receive/harness";
import { startS3Wire, type S3Wire } from "./s3-wire";

let aws: LocalAws;
let wire: S3Wire;
beforeAll(async () => {
  aws = await startLocalAws();
  wire = await startS3Wire(aws.s3Endpoint);
});
afterAll(async () => {
  await wire.close();
  await aws.stop();
});
beforeEach(() => {
  acceptAllEvents();
  wire.reset();
});

async function receives(c: TestCustomer, fileName: string, messageId: string, body: string) {
  const p = c.partner("PARTNER");
  const key = storedKey(p, fileName, messageId);
  await put(aws, c.bucket, key, body);
  await put(aws, c.bucket, `${key}.mdn`, `MDN of ${messageId}`);
  return payloadCompleted(c, p, {
    messageId,
    fileKey: key,
    requesterFileName: fileName,
    start: "2026-11-22T17:54:32.123Z",
  });
}

it.each(["as2gateway", "mftgateway"] as const)(
  "%s: a received orders.xml.json is not replaced by the record of a later orders.xml",
  async (layout) => {
    const c = await setUpCustomer(aws, { layout });
    process.env.AWS_ENDPOINT_URL_S3 = wire.endpoint;
    resetClients();
    expect(await invoke(await receives(c, "orders.xml.json", "m-json@p", '{"partner":"payload"}'))).toEqual({
      batchItemFailures: [],
    });
    expect(await invoke(await receives(c, "orders.xml", "m-xml@p", "<orders/>"))).toEqual({ batchItemFailures: [] });
    const keys = await userKeys(aws, c.bucket);
    const payloads = keys.filter((k) => !isSidecarKey(k));
    expect(payloads.map((k) => k.split("/").pop()).sort()).toEqual(["orders.xml", "orders.xml.json"]);
    const jsonPayload = payloads.find((k) => k.endsWith("orders.xml.json"))!;
    expect(await read(aws, c.bucket, jsonPayload)).toBe('{"partner":"payload"}');
    for (const p of payloads) expect(keys).toContain(recordKey(p));
    const routedWrites = wire.requests.filter(
      (r) => (r.op === "PutObject" || r.op === "CopyObject") && !r.key.startsWith("_gateway/") && r.status === 200,
    );
    expect(routedWrites.length).toBeGreaterThan(0);
    for (const r of routedWrites)
      expect({ key: r.key, ifNoneMatch: r.ifNoneMatch }).toEqual({ key: r.key, ifNoneMatch: "*" });
    for (const [key, n] of wire.writesPerKey()) expect({ key, n }).toEqual({ key, n: 1 });
  },
);
