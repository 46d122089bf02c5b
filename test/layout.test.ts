import fc from "fast-check";
import {
  sendKey,
  sendPrefix,
  parseSendKey,
  inboxKey,
  outboxKey,
  failedKey,
  mdnKey,
  recordKey,
  folderPrefix,
  withCollisionSuffix,
  inboundWorkPrefix,
  outboundWorkKey,
  workSlug,
  keyFromTransferAttribute,
  LayoutError,
} from "../model/layout";

const RUNS = 500;
/** Names as users and partners write them: spaces, '+', '%', '@', '<', '>', unicode, very long. */
const tricky = fc.constantFrom(
  " ",
  "+",
  "%",
  "%2B",
  "@",
  "<",
  ">",
  "é",
  "日本",
  "😀",
  "a",
  "Z",
  "0",
  ".",
  "-",
  "_",
  "#",
  "?",
  "&",
  "=",
);
const nameArb = fc
  .array(fc.oneof(tricky, fc.string({ unit: "grapheme", minLength: 1, maxLength: 4 })), { minLength: 1, maxLength: 60 })
  .map((parts) =>
    parts
      .join("") // eslint-disable-next-line no-control-regex -- control characters are what the layout must replace
      .replace(/[/\u0000-\u001f\u007f]/g, "_"),
  )
  .filter((s) => s.length > 0 && s !== "." && s !== "..");
const longName = fc.integer({ min: 200, max: 900 }).map((n) => `${"ä".repeat(n)}.xml`);
const fileArb = fc.oneof({ weight: 4, arbitrary: nameArb }, { weight: 1, arbitrary: longName });
const as2IdArb = fc.stringMatching(/^[!-.0-~]{1,128}$/).filter((s) => s !== "." && s !== ".." && s !== "test");
const routeArb = fc.record({ station: as2IdArb, partner: as2IdArb, test: fc.boolean() });

describe("send keys", () => {
  it("formats exactly as the mftgateway/as2gateway documentation shows", () => {
    expect(sendKey({ station: "ST", partner: "P", test: false }, "a.xml")).toBe("AS2/send/ST/P/a.xml");
    expect(sendKey({ station: "ST", partner: "P", test: true }, "a.xml")).toBe("AS2/send/ST/P/test/a.xml");
    expect(sendKey({ station: "ST", partner: "P", test: false }, "a.xml", "batch1")).toBe("AS2/send/ST/P/batch1/a.xml");
    expect(sendPrefix({ station: "ST", partner: "P", test: true })).toBe("AS2/send/ST/P/test/");
  });

  it("parse(format(x)) == x for single files and batches", () => {
    fc.assert(
      fc.property(routeArb, fileArb, fc.option(nameArb, { nil: undefined }), (route, fileName, batch) => {
        const parsed = parseSendKey(sendKey(route, fileName, batch));
        expect(parsed).toEqual({
          ok: true,
          value: batch === undefined ? { ...route, fileName } : { ...route, batch, fileName },
        });
      }),
      { numRuns: RUNS },
    );
  });

  it.each([
    ["AS2/send/ST/P/../x", "relative path segment"],
    ["AS2/send/ST/P//x", "empty"],
    ["AS2/send/ST//P/x", "empty"],
    ["AS2/send/ST/P/", "ends with '/'"],
    ["AS2/send/ST/P/dir/", "ends with '/'"],
    ["AS2/send/ST/x.xml", "must be inside a partner folder"],
    ["AS2/send/ST/P/a/b/c.xml", "nested folders"],
    ["AS2/send/ST/P/test/a/b/c.xml", "nested folders"],
    ["AS2/files/ST/P/inbox/x", "not under AS2/send/"],
    ["AS2/send/ST/P/.", "relative path segment"],
  ])("rejects %j with a reason", (key, reason) => {
    const r = parseSendKey(key);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toContain(reason);
  });

  it("rejects any key with '..', an empty segment or a trailing '/' among generated keys", () => {
    const bad = fc.constantFrom("..", "", ".");
    fc.assert(
      fc.property(routeArb, fileArb, bad, fc.nat(3), (route, fileName, badSeg, at) => {
        const segs = sendKey(route, fileName).slice("AS2/send/".length).split("/");
        segs.splice(Math.min(at, segs.length), 0, badSeg);
        expect(parseSendKey(`AS2/send/${segs.join("/")}`).ok).toBe(false);
        expect(parseSendKey(`${sendKey(route, fileName)}/`).ok).toBe(false);
      }),
      { numRuns: RUNS },
    );
  });

  it("refuses to format a name that could not be parsed back", () => {
    expect(() => sendKey({ station: "ST", partner: "P", test: false }, "..etc")).not.toThrow(); // dots inside a name are fine
    expect(() => sendKey({ station: "ST", partner: "P", test: false }, "a/b")).toThrow(LayoutError);
    expect(() => sendKey({ station: "ST", partner: "P", test: false }, "..")).toThrow(LayoutError);
    expect(() => sendKey({ station: "ST", partner: "P", test: false }, "")).toThrow(LayoutError);
  });
});

describe("routed keys", () => {
  const at = new Date("2026-11-22T17:54:32.123Z");
  const route = { station: "ST", partner: "P", test: false };
  const testRoute = { station: "ST", partner: "P", test: true };

  it("mftgateway: AS2/files/<st>/<p>/[test/]<folder>/<timestamp-random>/<file>", () => {
    const f = { route, fileName: "a b.xml", at, seed: "<msg@x>" };
    expect(inboxKey("mftgateway", f)).toMatch(/^AS2\/files\/ST\/P\/inbox\/20261122T175432123Z-[0-9a-f]{8}\/a b\.xml$/);
    expect(outboxKey("mftgateway", { ...f, route: testRoute })).toMatch(
      /^AS2\/files\/ST\/P\/test\/outbox\/20261122T175432123Z-[0-9a-f]{8}\/a b\.xml$/,
    );
    expect(failedKey("mftgateway", f)).toBe("AS2/files/ST/P/failed/20261122T175432123Z/a b.xml");
    // Same seed, same key: a retried handler does not create a second copy.
    expect(inboxKey("mftgateway", f)).toBe(inboxKey("mftgateway", { ...f }));
    expect(inboxKey("mftgateway", f)).not.toBe(inboxKey("mftgateway", { ...f, seed: "<other@x>" }));
  });

  it("as2gateway: as2gateway/<st>/<p>/[test/]<folder>/<file> with the three naming choices", () => {
    const f = { route, fileName: "order.edi", at, seed: "m" };
    expect(inboxKey("as2gateway", f, "plain")).toBe("as2gateway/ST/P/inbox/order.edi");
    expect(inboxKey("as2gateway", f, "plain", 2)).toBe("as2gateway/ST/P/inbox/order (2).edi");
    expect(inboxKey("as2gateway", f, "folder")).toBe("as2gateway/ST/P/inbox/20261122T175432123Z/order.edi");
    expect(inboxKey("as2gateway", f, "prefix")).toBe("as2gateway/ST/P/inbox/20261122T175432123Z_order.edi");
    expect(outboxKey("as2gateway", { ...f, route: testRoute })).toBe("as2gateway/ST/P/test/outbox/order.edi");
    expect(failedKey("as2gateway", f)).toBe("as2gateway/ST/P/failed/20261122T175432123Z/order.edi");
    expect(folderPrefix("as2gateway", testRoute, "failed")).toBe("as2gateway/ST/P/test/failed/");
  });

  it("collision suffixes never produce the same name twice", () => {
    expect(withCollisionSuffix("a.tar.gz", 1)).toBe("a.tar (1).gz");
    expect(withCollisionSuffix(".hidden", 1)).toBe(".hidden (1)");
    expect(withCollisionSuffix("noext", 3)).toBe("noext (3)");
    fc.assert(
      fc.property(fileArb, fc.integer({ min: 1, max: 50 }), (name, n) => {
        expect(withCollisionSuffix(name, n)).not.toBe(name);
        expect(withCollisionSuffix(name, n)).not.toBe(withCollisionSuffix(name, n + 1));
      }),
      { numRuns: RUNS },
    );
  });

  it("MDN and record sit beside the payload", () => {
    expect(mdnKey("AS2/files/ST/P/inbox/x/a.xml")).toBe("AS2/files/ST/P/inbox/x/_as2/a.xml.mdn");
    expect(recordKey("AS2/files/ST/P/inbox/x/a.xml")).toBe("AS2/files/ST/P/inbox/x/_as2/a.xml.json");
  });

  it("routed keys keep every generated name intact as the last segment", () => {
    fc.assert(
      fc.property(
        routeArb,
        fileArb,
        fc.constantFrom("mftgateway" as const, "as2gateway" as const),
        (r, fileName, preset) => {
          const key = inboxKey(preset, { route: r, fileName, at, seed: "s" });
          expect(key.startsWith(folderPrefix(preset, r, "inbox"))).toBe(true);
          expect(key.endsWith(`/${fileName}`)).toBe(true);
        },
      ),
      { numRuns: RUNS },
    );
  });
});

describe("private working paths", () => {
  it("are key-safe, stable, and distinct for pairs that sanitise alike", () => {
    expect(workSlug({ station: "ST", partner: "<a@b>" })).toMatch(/^ST--_a_b_-[0-9a-f]{8}$/);
    expect(workSlug({ station: "ST", partner: "<a@b>" })).not.toBe(workSlug({ station: "ST", partner: "_a_b_" }));
    expect(inboundWorkPrefix({ station: "ST", partner: "P" })).toMatch(/^_gateway\/inbound\/ST--P-[0-9a-f]{8}\/$/);
    expect(outboundWorkKey({ station: "ST", partner: "P" }, "c1", "a b.xml")).toMatch(
      /^_gateway\/outbound\/ST--P-[0-9a-f]{8}\/c1\/a b\.xml$/,
    );
    fc.assert(
      fc.property(as2IdArb, as2IdArb, (station, partner) => {
        expect(workSlug({ station, partner })).toMatch(/^[A-Za-z0-9._-]+$/);
      }),
      { numRuns: RUNS },
    );
  });

  it("strips the leading '/' of Transfer's s3-attributes keys", () => {
    expect(keyFromTransferAttribute("/_gateway/inbound/x/a.xml")).toBe("_gateway/inbound/x/a.xml");
    expect(keyFromTransferAttribute("a.xml")).toBe("a.xml");
  });
});
