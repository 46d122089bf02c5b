import { splitEdifact } from "../../handlers/pipeline/split/edifact";
import { chunked, collect, fixture, reason } from "./split-helpers";

const ORDERS = fixture("edifact-orders-una.edi").toString();

describe("EDIFACT splitter", () => {
  it.each([1, 5, 9, 4096])("splits ORDERS with UNA and release characters (chunks of %d bytes)", async (size) => {
    const txs = await collect(splitEdifact(chunked(ORDERS, size)));
    expect(txs.map((t) => [t.position, t.envelope.messageReference, t.envelope.messageType])).toEqual([
      [0, "M1", "ORDERS"],
      [1, "M2", "ORDERS"],
    ]);
    expect(txs[0]!.envelope).toMatchObject({
      interchangeControlReference: "IC0001",
      sender: "GLOBEX",
      receiver: "ACME-EU",
    });
    // Released terminators and separators stay in the body as sent, and do not end the segment.
    expect(txs[0]!.body).toContain("FTX+AAI+++Rush?: deliver to dock 3?+4 ?'before noon?''");
    expect(txs[1]!.body).toBe(
      "UNH+M2+ORDERS:D:96A:UN'BGM+220+PO-2+9'FTX+AAI+++release ?? kept'LIN+1++WIDGET-2:VP'QTY+21:20'UNT+6+M2'",
    );
  });

  it("honours non-default service characters from UNA, with a UNG group", async () => {
    const txs = await collect(splitEdifact(chunked(fixture("edifact-orders-custom-una.edi"), 3)));
    expect(txs).toHaveLength(1);
    expect(txs[0]!.envelope).toEqual({
      interchangeControlReference: "IC0002",
      sender: "GLOBEX",
      receiver: "ACME-EU",
      groupReference: "G7",
      messageReference: "X1",
      messageType: "ORDERS",
    });
    expect(txs[0]!.body).toBe('UNH*X1*ORDERS|D|96A|UN"BGM*220*PO#*7*9"UNT*3*X1"');
  });

  it("uses the default service characters without UNA", async () => {
    const txs = await collect(splitEdifact(chunked(ORDERS.replace("UNA:+.? '\n", ""), 4)));
    expect(txs).toHaveLength(2);
  });

  it.each([
    ["a UNT count that disagrees", ORDERS.replace("UNT+6+M2", "UNT+7+M2"), "UNT says 7 segments, message M2 has 6"],
    [
      "a UNT reference that disagrees",
      ORDERS.replace("UNT+9+M1", "UNT+9+M9"),
      "UNT reference 'M9' does not match UNH 'M1'",
    ],
    ["a UNZ count that disagrees", ORDERS.replace("UNZ+2+", "UNZ+3+"), "UNZ count says 3, interchange has 2"],
    [
      "a UNZ reference that disagrees",
      ORDERS.replace("UNZ+2+IC0001", "UNZ+2+IC9"),
      "UNZ reference 'IC9' does not match UNB 'IC0001'",
    ],
    ["a missing UNZ", ORDERS.replace("UNZ+2+IC0001'\n", ""), "the interchange is truncated"],
    ["a message without UNB", ORDERS.replace(/UNB[^']*'\n/, ""), "UNH outside an interchange"],
    ["a file cut inside a segment", ORDERS.slice(0, ORDERS.indexOf("UNZ") + 5), "the file ends inside a segment"],
  ])("fails %s with a clear reason", async (_what, text, expected) => {
    expect(await reason(splitEdifact(chunked(text, 16)))).toContain(expected);
  });
});
