import { validateCustomer } from "../../model/load";
import { buildRoutingDocument, Routing } from "../../model/routing";
import {
  inboundWorkPrefix,
  parseSendKey,
  outboundWorkKey,
  parseOutboundWorkKey,
  routedFolderPattern,
  sendBatchPrefix,
  type ParsedSendKey,
} from "../../model/layout";
import {
  checkUpload,
  remainingSettleSeconds,
  backoffSeconds,
  chunks,
  objectIdentity,
  sqsDelay,
} from "../../handlers/send/decide";
import { customerInput, SAMPLE_CERT_PEM } from "../helpers/customer-factory";

const cert = { signing: { pem: SAMPLE_CERT_PEM } };

function routing(overrides: Parameters<typeof customerInput>[0] = {}): Routing {
  const customer = validateCustomer(
    customerInput({
      partners: [
        { as2Id: "PARTNER", station: "ACME", url: "https://p.example/as2", certificates: cert },
        { as2Id: "TESTER", station: "ACME", url: "https://t.example/as2", test: true, certificates: cert },
        {
          as2Id: "OFF",
          station: "ACME",
          url: "https://o.example/as2",
          enabled: false,
          certificates: cert,
          outbound: { mdn: "NONE" },
        },
      ],
      ...overrides,
    }),
    "<test>",
  );
  const ids = customer.partners.map((p) => ({
    station: p.station,
    partner: p.as2Id,
    connectorId: `c-${p.as2Id}`,
    agreementId: `a-${p.as2Id}`,
  }));
  return new Routing(buildRoutingDocument(customer, "bucket", ids, inboundWorkPrefix));
}

function parsed(key: string): ParsedSendKey {
  const r = parseSendKey(key);
  if (!r.ok) throw new Error(r.reason);
  return r.value;
}

describe("checkUpload: what routing refuses, with a reason a person can act on", () => {
  const r = routing();
  it("accepts a declared, enabled partner at the right test level", () => {
    const c = checkUpload(parsed("AS2/send/ACME/PARTNER/a.xml"), { size: 10 }, r);
    expect(c.ok && c.partner.connectorId).toBe("c-PARTNER");
    expect(checkUpload(parsed("AS2/send/ACME/TESTER/test/a.xml"), { size: 10 }, r).ok).toBe(true);
  });
  it.each([
    ["AS2/send/NOPE/PARTNER/a.xml", 10, "UNKNOWN_STATION", /station 'NOPE' is not declared.*ACME/],
    ["AS2/send/ACME/NOPE/a.xml", 10, "UNKNOWN_PARTNER", /partner 'NOPE' is not declared for station 'ACME'.*PARTNER/],
    ["AS2/send/ACME/OFF/a.xml", 10, "PARTNER_DISABLED", /disabled/],
    ["AS2/send/ACME/TESTER/a.xml", 10, "TEST_LEVEL_MISMATCH", /AS2\/send\/ACME\/TESTER\/test\//],
    ["AS2/send/ACME/PARTNER/test/a.xml", 10, "TEST_LEVEL_MISMATCH", /not a test partner/],
    ["AS2/send/ACME/PARTNER/a.xml", 1024 ** 3 + 1, "FILE_TOO_LARGE", /1073741825 bytes.*1073741824/],
    ["AS2/send/ACME/PARTNER/a.xml", 0, "EMPTY_FILE", /empty/],
  ])("%s (%d bytes) → %s", (key, size, code, reason) => {
    const c = checkUpload(parsed(key), { size }, r);
    expect(c.ok).toBe(false);
    if (!c.ok) {
      expect(c.code).toBe(code);
      expect(c.reason).toMatch(reason);
    }
  });
  it("sends empty files when the customer says so, and exactly 1 GB", () => {
    const send = routing({ send: { emptyFile: "send" } });
    expect(checkUpload(parsed("AS2/send/ACME/PARTNER/a.xml"), { size: 0 }, send).ok).toBe(true);
    expect(checkUpload(parsed("AS2/send/ACME/PARTNER/a.xml"), { size: 1024 ** 3 }, send).ok).toBe(true);
  });
  it("carries each partner's MDN mode in the routing document", () => {
    expect(r.byConnectorId("c-OFF")?.mdn).toBe("NONE");
    expect(r.byConnectorId("c-PARTNER")?.mdn).toBe("SYNC");
  });
});

describe("timing", () => {
  const t0 = new Date("2026-11-22T18:00:00.000Z");
  it("computes the remaining settle time, 0 once settled", () => {
    expect(remainingSettleSeconds(t0, new Date(t0.getTime() + 4_200), 15)).toBe(11);
    expect(remainingSettleSeconds(t0, new Date(t0.getTime() + 15_000), 15)).toBe(0);
    expect(remainingSettleSeconds(t0, new Date(t0.getTime() + 99_000), 15)).toBe(0);
    expect(remainingSettleSeconds(t0, t0, 0)).toBe(0);
  });
  it("backs off exponentially from initialSeconds up to maxSeconds", () => {
    const retry = { initialSeconds: 5, maxSeconds: 3600 };
    expect([1, 2, 3, 4, 5, 10].map((a) => backoffSeconds(a, retry))).toEqual([5, 10, 20, 40, 80, 2560]);
    expect(backoffSeconds(11, retry)).toBe(3600);
    expect(backoffSeconds(60, retry)).toBe(3600);
  });
  it("keeps SQS delays within 0-900 seconds", () => {
    expect([0, 0.2, 14.1, 900, 3600, -3].map(sqsDelay)).toEqual([0, 1, 15, 900, 900, 0]);
  });
});

describe("batches and identities", () => {
  it("splits 11 paths into calls of at most 10", () => {
    const c = chunks(Array.from({ length: 11 }, (_, i) => i));
    expect(c.map((x) => x.length)).toEqual([10, 1]);
    expect(chunks([])).toEqual([]);
  });
  it("identifies an upload by version id, else by ETag alone (the event's time and LastModified name the same upload)", () => {
    const at = new Date("2026-11-22T18:00:00Z");
    expect(objectIdentity({ etag: '"abc"', versionId: "v1" })).toBe("v:v1");
    expect(objectIdentity({ etag: '"abc"', lastModified: at, versionId: "null" })).toBe("e:abc");
    // The S3 event path (event time) and the sweep (LastModified) must meet on one ownership item.
    expect(objectIdentity({ etag: "abc", lastModified: at })).toBe(
      objectIdentity({ etag: '"abc"', lastModified: new Date(at.getTime() + 1000) }),
    );
    expect(objectIdentity({ etag: '"abd"' })).not.toBe(objectIdentity({ etag: '"abc"' }));
  });
  it("reads the claim back from a staged key, and refuses Transfer's status files", () => {
    const route = { station: "ACME", partner: "<id@x>" };
    const key = outboundWorkKey(route, "20261122T180000000Z-abc", "a b+c%.xml");
    expect(parseOutboundWorkKey(key)).toEqual({
      slug: expect.any(String),
      claimId: "20261122T180000000Z-abc",
      fileName: "a b+c%.xml",
    });
    expect(parseOutboundWorkKey(key.replace("a b+c%.xml", "processed/a.json"))).toBeUndefined();
    expect(parseOutboundWorkKey("AS2/send/ACME/P/a.xml")).toBeUndefined();
  });
  it("names batch folders and IAM patterns from the layout", () => {
    expect(sendBatchPrefix({ station: "S", partner: "P", test: true }, "b1")).toBe("AS2/send/S/P/test/b1/");
    expect(routedFolderPattern("mftgateway", "outbox")).toBe("AS2/files/*/outbox/*");
    expect(routedFolderPattern("as2gateway", "failed")).toBe("as2gateway/*/failed/*");
  });
});
