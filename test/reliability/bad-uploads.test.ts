/**
 * Issue #11, "every bad upload ends visibly": each upload that used to loop or stay silently ends
 * in a failed/ folder (the partner's, or the gateway-level `_unrouted/failed/`) with a record a
 * person can act on, under a safe name, and a second delivery changes nothing.
 */
import {
  failedKey,
  inboundWorkPrefix,
  isSidecarKey,
  MAX_KEY_BYTES,
  recordKey,
  safeFailedName,
  UNROUTED_FOLDER,
} from "../../model/layout";
import { validateCustomer } from "../../model/load";
import { buildRoutingDocument, Routing } from "../../model/routing";
import { checkUpload } from "../../handlers/send/decide";
import { customerInput } from "../helpers/customer-factory";
import { SendHarness } from "../send/harness";
import type { S3Wire } from "./s3-wire";

let h: SendHarness;
let wire: S3Wire;

beforeAll(async () => {
  h = await SendHarness.start({ wire: true });
  wire = h.wire;
});
afterAll(() => h.stop());
beforeEach(() => h.reset());

/** Uploads, delivers its event after the settle time twice, and returns what landed under `prefix`. */
async function refused(key: string, prefix: string, body = "content") {
  const o = await h.upload(key, body);
  h.at(o.lastModified!, 200);
  for (let i = 0; i < 2; i++) {
    expect((await h.settle(h.s3Event(o))).batchItemFailures).toEqual([]);
    await h.drain();
  }
  expect(h.transfers).toHaveLength(0);
  const keys = await h.keys(prefix);
  const payloads = keys.filter((k) => !isSidecarKey(k));
  return { keys, payloads };
}

it("a control character in the name: failed/ under a safe name with INVALID_NAME, once, no loop", async () => {
  const { keys, payloads } = await refused("AS2/send/ACME/PARTNER/inv\u0001oice.xml", "AS2/files/ACME/PARTNER/failed/");
  const mine = payloads.filter((k) => k.endsWith("inv_oice.xml"));
  expect(mine).toHaveLength(1);
  expect(await h.text(mine[0]!)).toBe("content");
  expect(keys).toContain(recordKey(mine[0]!));
  const record = await h.json(recordKey(mine[0]!));
  expect(record).toMatchObject({ failureCode: "INVALID_NAME", uploadedKey: "AS2/send/ACME/PARTNER/inv\u0001oice.xml" });
  expect(await h.keys("AS2/send/")).toEqual([]);
  expect(h.domainEvents().filter((e) => e.failureCode === "INVALID_NAME")).toHaveLength(1);
});

it.each(["AS2/send/orphan.xml", "AS2/send/ACME/orphan.xml", "AS2/send/AC\u0002ME/PARTNER/orphan.xml"])(
  "%j (no usable partner folder): the gateway-level failed folder, with the reason",
  async (key) => {
    const { payloads } = await refused(key, `AS2/files/${UNROUTED_FOLDER}/failed/`, `orphan at ${key}`);
    const mine = [];
    for (const p of payloads) if ((await h.text(p)) === `orphan at ${key}`) mine.push(p);
    expect(mine).toHaveLength(1);
    expect(await h.keys(key)).toEqual([]);
    const record = await h.json(recordKey(mine[0]!));
    expect(String(record.reason)).toMatch(/AS2\/send\/<station>\/<partner>\/<file>/);
    const event = h.domainEvents().at(-1)!;
    expect(event).toMatchObject({ eventType: "MESSAGE.SEND.FAILED", stationId: "", partnerId: "" });
    expect(event.attachments[0]!.key).toBe(mine[0]);
  },
);

describe("a name whose keys would pass 1024 bytes (s3rver cannot store such a name: decided without AWS)", () => {
  const routing = () => {
    const customer = validateCustomer(customerInput({}), "<test>");
    const ids = customer.partners.map((p) => ({
      station: p.station,
      partner: p.as2Id,
      connectorId: "c-1",
      agreementId: "a-1",
    }));
    return new Routing(buildRoutingDocument(customer, "b", ids, inboundWorkPrefix));
  };
  const name = `${"é".repeat(470)}.edi`;
  const parsed = { station: "ACME", partner: "PARTNER", test: false, fileName: name };

  it("is refused up front with NAME_TOO_LONG, before anything moves or is sent", () => {
    expect(Buffer.byteLength(`AS2/send/ACME/PARTNER/${name}`)).toBeLessThan(MAX_KEY_BYTES); // a valid upload key
    expect(checkUpload(parsed, { size: 10 }, routing())).toMatchObject({ ok: false, code: "NAME_TOO_LONG" });
    expect(checkUpload({ ...parsed, fileName: "short.edi" }, { size: 10 }, routing()).ok).toBe(true);
  });

  it("lands in failed/ under a shortened name whose record still fits in 1024 bytes", () => {
    const route = { station: "ACME", partner: "PARTNER", test: false };
    for (const preset of ["mftgateway", "as2gateway"] as const) {
      const safe = safeFailedName(preset, route, `${"é".repeat(500)}.edi`);
      expect(safe).toMatch(/\.\.\.\.edi$/);
      const f = { route, fileName: safe, at: new Date(), seed: "s" };
      expect(Buffer.byteLength(recordKey(failedKey(preset, f, 999)))).toBeLessThanOrEqual(MAX_KEY_BYTES);
      expect(safeFailedName(preset, route, "plain.edi")).toBe("plain.edi");
      expect(safeFailedName(preset, undefined, "a\u0001b")).toBe("a_b");
      expect(safeFailedName(preset, route, "..")).toBe("_..");
    }
  });
});

it.each([
  [403, "AccessDenied", "an upload encrypted with a foreign KMS key"],
  [400, "InvalidRequest", "an upload over CopyObject's 5 GB"],
])("%s %s (%s): reported in failed/, left in place, not retried in a loop", async (status, code) => {
  const key = `AS2/send/ACME/PARTNER/unreadable-${code}.xml`;
  wire.faults.push({
    when: (r) => r.op === "CopyObject" && r.copySource?.includes(`unreadable-${code}`) === true,
    status,
    code,
    times: 10,
  });
  const o = await h.upload(key, "secret");
  h.at(o.lastModified!, 16);
  for (let i = 0; i < 2; i++) expect((await h.settle(h.s3Event(o))).batchItemFailures).toEqual([]);
  expect(h.transfers).toHaveLength(0);
  expect(await h.keys(key)).toEqual([key]); // left where it is
  const records = (await h.keys("AS2/files/ACME/PARTNER/failed/")).filter((k) => k.includes(`unreadable-${code}`));
  expect(records).toHaveLength(1);
  expect(isSidecarKey(records[0]!)).toBe(true);
  expect(await h.json(records[0]!)).toMatchObject({ failureCode: "UPLOAD_NOT_READABLE", payloadLeftAt: key });
  const events = h.domainEvents().filter((e) => e.failureCode === "UPLOAD_NOT_READABLE");
  expect(events).toHaveLength(1);
  // One attempt to stage it, one to copy it to failed/; the second delivery tries nothing.
  expect(wire.requests.filter((r) => r.op === "CopyObject" && r.status === status)).toHaveLength(2);
});
