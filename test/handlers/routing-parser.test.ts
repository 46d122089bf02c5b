/** The handlers' plain routing parser accepts and refuses the same documents as the synth-side zod schema. */
import { routingDocumentSchema } from "../../model/routing";
import { InvalidRoutingDocument, Routing, parseRoutingDocument } from "../../model/routing-types";

const doc = {
  version: 1,
  customer: "example",
  bucket: "b",
  layout: "mftgateway",
  settle: { fileSeconds: 30, directorySeconds: 60 },
  retry: { initialSeconds: 60, maxSeconds: 3600, maxAttempts: 5 },
  send: { emptyFile: "send", maxFileBytes: 1024 },
  stations: [{ station: "ACME", inboxNaming: "folder" }],
  partners: [
    {
      station: "ACME",
      partner: "P",
      test: false,
      enabled: true,
      connectorId: "c-1",
      agreementId: "a-1",
      inboundPrefix: "x/",
      mdn: "NONE",
      extra: "dropped",
    },
    {
      station: "ACME",
      partner: "Q",
      test: true,
      enabled: true,
      connectorId: "c-2",
      agreementId: "a-2",
      inboundPrefix: "y/",
    },
  ],
  unknown: true,
};

type Doc = Record<string, unknown>;
const variants: [string, (d: Doc) => unknown][] = [
  ["as written", (d) => d],
  ["another version", (d) => ({ ...d, version: 2 })],
  ["no customer", (d) => ({ ...d, customer: undefined })],
  ["an unknown layout", (d) => ({ ...d, layout: "other" })],
  ["settle as a string", (d) => ({ ...d, settle: "30" })],
  ["retry seconds as a string", (d) => ({ ...d, retry: { initialSeconds: "1", maxSeconds: 2, maxAttempts: 3 } })],
  ["emptyFile unknown", (d) => ({ ...d, send: { emptyFile: "skip", maxFileBytes: 1 } })],
  ["stations not an array", (d) => ({ ...d, stations: {} })],
  ["an unknown inbox naming", (d) => ({ ...d, stations: [{ station: "A", inboxNaming: "flat" }] })],
  [
    "a partner without agreement",
    (d) => ({ ...d, partners: [{ ...(d.partners as Doc[])[0], agreementId: undefined }] }),
  ],
  [
    "a partner with enabled as a string",
    (d) => ({ ...d, partners: [{ ...(d.partners as Doc[])[0], enabled: "true" }] }),
  ],
  ["a partner with mdn null", (d) => ({ ...d, partners: [{ ...(d.partners as Doc[])[0], mdn: null }] })],
  ["a partner with an unknown mdn", (d) => ({ ...d, partners: [{ ...(d.partners as Doc[])[0], mdn: "LATER" }] })],
  ["null", () => null],
  ["an array", () => []],
];

describe("parseRoutingDocument", () => {
  it.each(variants)("agrees with the zod schema on %s", (_, make) => {
    const input = make(structuredClone(doc));
    const zod = routingDocumentSchema.safeParse(input);
    let plain: unknown;
    let error: unknown;
    try {
      plain = parseRoutingDocument(input);
    } catch (e) {
      error = e;
    }
    if (zod.success) expect(plain).toEqual(zod.data);
    else {
      expect(error).toBeInstanceOf(InvalidRoutingDocument);
      expect((error as Error).message).toMatch(/^routing document: .*Invalid input: expected /);
    }
  });

  it("names the field it refuses", () => {
    expect(() => parseRoutingDocument({ ...doc, partners: [{ ...doc.partners[0], test: 1 }] })).toThrow(
      "routing document: partners.0.test: Invalid input: expected boolean, received number",
    );
  });

  it("indexes the parsed document", () => {
    const r = Routing.parse(doc);
    expect(r.byConnectorId("c-1")?.mdn).toBe("NONE");
    expect(r.partner("ACME", "Q")?.mdn).toBeUndefined();
    expect(r.station("ACME")?.inboxNaming).toBe("folder");
  });
});
