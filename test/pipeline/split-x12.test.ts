import { splitX12 } from "../../handlers/pipeline/split/x12";
import { chunked, collect, fixture, reason } from "./split-helpers";

const THREE_POS = fixture("x12-850-three-pos.edi").toString();

describe("X12 splitter", () => {
  it.each([1, 7, 106, 4096])(
    "splits 850/810/856 in three groups into 6 transaction sets (chunks of %d bytes)",
    async (size) => {
      const txs = await collect(splitX12(chunked(fixture("x12-850-810-856.edi"), size)));
      expect(txs.map((t) => [t.position, t.envelope.transactionSetId, t.envelope.transactionControlNumber])).toEqual([
        [0, "850", "0001"],
        [1, "850", "0002"],
        [2, "850", "0003"],
        [3, "810", "0004"],
        [4, "856", "0005"],
        [5, "856", "0006"],
      ]);
      expect(txs[3]!.envelope).toEqual({
        interchangeControlNumber: "000000101",
        sender: "GLOBEX",
        receiver: "ACME-AS2",
        groupControlNumber: "502",
        functionalId: "IN",
        transactionSetId: "810",
        transactionControlNumber: "0004",
      });
      expect(txs[0]!.body).toBe(
        "ST*850*0001~BEG*00*SA*PO-1**20261201~REF*DP*038~PO1*1*10*EA*9.25**VP*WIDGET-1~CTT*1~SE*6*0001~",
      );
    },
  );

  it("reads the separators from each ISA (| and newline here)", async () => {
    const other = THREE_POS.replace(/\*/g, "|").replace(/~/g, "\n");
    const txs = await collect(splitX12(chunked(THREE_POS + "\n" + other, 13)));
    expect(txs).toHaveLength(6);
    expect(txs[4]!.body.startsWith("ST|850|0002\n")).toBe(true);
  });

  it.each([
    [
      "an SE count that disagrees",
      THREE_POS.replace("SE*6*0002", "SE*5*0002"),
      "SE01 says 5 segments, transaction 0002 has 6",
    ],
    [
      "an SE control number that disagrees",
      THREE_POS.replace("SE*6*0003", "SE*6*0009"),
      "SE02 '0009' does not match ST02 '0003'",
    ],
    [
      "a GE count that disagrees",
      THREE_POS.replace("GE*3*501", "GE*2*501"),
      "GE01 says 2 transaction sets, group 501 has 3",
    ],
    [
      "a GE control number that disagrees",
      THREE_POS.replace("GE*3*501", "GE*3*777"),
      "GE02 '777' does not match GS06 '501'",
    ],
    [
      "an IEA control number that disagrees",
      THREE_POS.replace("IEA*1*000000101", "IEA*1*000000102"),
      "IEA02 '000000102' does not match ISA13 '000000101'",
    ],
    [
      "an IEA group count that disagrees",
      THREE_POS.replace("IEA*1*", "IEA*2*"),
      "IEA01 says 2 groups, interchange has 1",
    ],
    ["a file that stops before SE", THREE_POS.slice(0, THREE_POS.indexOf("SE*6*0003")), "transaction 0003 has no SE"],
    [
      "a file cut inside a segment",
      THREE_POS.slice(0, THREE_POS.indexOf("SE*6*0003") + 4),
      "the file ends inside a segment",
    ],
    ["a file without ISA", "GS*PO*A*B*1*2*3*X*004010~".padEnd(120, " "), "expected an ISA segment"],
    ["an ISA that is not 106 characters", THREE_POS.replace("GLOBEX         ", "GLOBEX"), "ISA"],
    [
      "a segment outside a transaction set",
      THREE_POS.replace("GE*3*501", "REF*DP*1~GE*3*501"),
      "segment outside a transaction set",
    ],
  ])("fails %s with a clear reason", async (_what, text, expected) => {
    expect(await reason(splitX12(chunked(text, 64)))).toContain(expected);
  });
});
