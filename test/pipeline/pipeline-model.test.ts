import { validateCustomer } from "../../model/load";
import { effectivePipeline } from "../../model/pipeline";
import { customerInput, SAMPLE_CERT_PEM } from "../helpers/customer-factory";

const partner = (as2Id: string, extra: Record<string, unknown> = {}) => ({
  as2Id,
  station: "ACME",
  url: "https://partner.example/as2",
  certificates: { signing: { pem: SAMPLE_CERT_PEM } },
  ...extra,
});

function problems(raw: unknown): string {
  try {
    validateCustomer(raw, "acme.json");
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error("expected the customer file to be refused");
}

describe("customer file: pipeline", () => {
  it("applies the station default, a partner's own pipeline and a partner's opt-out", () => {
    const c = validateCustomer(
      customerInput({
        stations: [{ as2Id: "ACME", signing: { generate: true }, pipeline: { format: "x12" } }],
        partners: [
          partner("INHERITS"),
          partner("OWN", { pipeline: { format: "xml", xmlElement: "Transaction", table: "orders" } }),
          partner("OPTS-OUT", { pipeline: false }),
        ],
      }),
      "acme.json",
    );
    const [inherits, own, out] = c.partners.map((p) => effectivePipeline(c.stations[0], p));
    expect(inherits).toEqual({ format: "x12", table: "transactions" });
    expect(own).toEqual({ format: "xml", xmlElement: "Transaction", table: "orders" });
    expect(out).toBeUndefined();
    expect(effectivePipeline({}, { pipeline: undefined })).toBeUndefined();
  });

  it("accepts an enrichment endpoint with an API key or basic auth connection", () => {
    const c = validateCustomer(
      customerInput({
        partners: [
          partner("A", {
            pipeline: {
              format: "csv",
              enrich: { url: "https://enrich.example/v1", auth: { type: "apiKey", header: "x-api-key" } },
            },
          }),
          partner("B", {
            pipeline: {
              format: "jsonl",
              enrich: { url: "https://enrich.example/v1", auth: { type: "basic", username: "acme" } },
            },
          }),
        ],
      }),
      "acme.json",
    );
    expect(c.partners[0]!.pipeline).toMatchObject({ enrich: { auth: { type: "apiKey", header: "x-api-key" } } });
  });

  it.each([
    [
      { format: "x13" },
      'acme.json: partners[0].pipeline: format: Invalid option: expected one of "x12"|"edifact"|"xml"|"csv"|"jsonl"',
    ],
    [{ format: "xml" }, "acme.json: partners[0].pipeline.xmlElement: format xml needs xmlElement"],
    [
      { format: "x12", xmlElement: "T" },
      "acme.json: partners[0].pipeline.xmlElement: xmlElement only applies to format xml, found format x12",
    ],
    [
      { format: "x12", enrich: { url: "http://plain.example" } },
      "acme.json: partners[0].pipeline.enrich.url: an absolute https:// URL",
    ],
    [{ format: "x12", table: "Orders" }, "acme.json: partners[0].pipeline.table: 1-40 lower-case letters"],
    [
      { format: "x12", enrich: { url: "https://e.example", auth: { type: "oauth" } } },
      "partners[0].pipeline: enrich.auth.type: ",
    ],
    [{ format: "x12", unknown: 1 }, 'partners[0].pipeline: Unrecognized key: "unknown"'],
    ["yes", "partners[0].pipeline: false or a pipeline object"],
  ])("refuses %j with a precise message", (pipeline, expected) => {
    expect(problems(customerInput({ partners: [partner("P", { pipeline })] }))).toContain(expected);
  });
});
