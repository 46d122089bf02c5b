import { splitCsv } from "../../handlers/pipeline/split/csv";
import { splitJsonLines } from "../../handlers/pipeline/split/jsonl";
import { splitXml } from "../../handlers/pipeline/split/xml";
import { splitter } from "../../handlers/pipeline/split";
import { chunked, collect, fixture, reason } from "./split-helpers";

describe("XML splitter", () => {
  it.each([1, 10, 4096])("splits AWS's sample into 11 transactions (chunks of %d bytes)", async (size) => {
    const txs = await collect(splitXml(chunked(fixture("aws-b2b-transactions.xml"), size), "Transaction"));
    expect(txs.map((t) => t.envelope.TransactionID)).toEqual(["1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11"]);
    expect(txs[0]!.body).toBe(
      '<Transaction TransactionID="1"> <Notes>Transaction made between user 57 and user 732.</Notes> </Transaction>',
    );
  });

  it("keeps entities escaped, CDATA, self-closing elements and nested same-named elements", async () => {
    const xml = '<r><T id="a&amp;b"><x>1 &lt; 2</x><T>inner</T><![CDATA[<raw>]]></T><T id="é"/><other><y/></other></r>';
    const txs = await collect(splitXml(chunked(xml, 3), "T"));
    expect(txs.map((t) => t.body)).toEqual([
      '<T id="a&amp;b"><x>1 &lt; 2</x><T>inner</T><![CDATA[<raw>]]></T>',
      '<T id="é"/>',
    ]);
  });

  it("fails malformed XML with the parser's reason", async () => {
    expect(await reason(splitXml(chunked("<r><T>1</T><T>2</r>", 4), "T"))).toMatch(/^malformed XML: /);
  });
});

describe("CSV splitter (RFC 4180)", () => {
  it("splits rows with quoted commas, doubled quotes, line breaks and CRLF, across chunk borders", async () => {
    const csv = 'id,note\r\n1,"a, b"\r\n2,"say ""hi"""\r\n3,"two\r\nlines"\r\n\r\n4,plain';
    for (const size of [1, 2, 5, 100]) {
      const txs = await collect(splitCsv(chunked(csv, size)));
      expect(txs.map((t) => JSON.parse(t.body))).toEqual([
        { id: "1", note: "a, b" },
        { id: "2", note: 'say "hi"' },
        { id: "3", note: "two\r\nlines" },
        { id: "4", note: "plain" },
      ]);
      expect(txs.map((t) => t.envelope.line)).toEqual(["2", "3", "4", "7"]);
    }
  });

  it.each([
    ["a row with too many fields", "a,b\n1,2,3\n", "line 2: 3 fields, the header has 2"],
    ["an unclosed quote", 'a,b\n1,"open\n', "line 2: a quoted field is not closed"],
    ["a quote inside an unquoted field", 'a,b\n1,x"y\n', "line 2: a quote inside an unquoted field"],
    ["text after a closing quote", 'a,b\n1,"x"y\n', "line 2: text after a closing quote"],
  ])("fails %s", async (_what, text, expected) => {
    expect(await reason(splitCsv(chunked(text, 3)))).toContain(expected);
  });
});

describe("JSON Lines splitter", () => {
  it("yields one transaction per non-empty line", async () => {
    const txs = await collect(splitJsonLines(chunked('{"a":1}\r\n\n{"a":"ü"}\n[2]', 3)));
    expect(txs.map((t) => [t.position, t.body, t.envelope.line])).toEqual([
      [0, '{"a":1}', "1"],
      [1, '{"a":"ü"}', "3"],
      [2, "[2]", "4"],
    ]);
  });

  it("fails a line that is not JSON, naming the line", async () => {
    expect(await reason(splitJsonLines(chunked('{"a":1}\n{oops}\n', 4)))).toMatch(/^line 2 is not JSON/);
  });
});

describe("splitter()", () => {
  it("picks the splitter of each format and needs the element for xml", async () => {
    expect(
      await collect(splitter("xml", "Transaction")(chunked(fixture("aws-b2b-transactions.xml"), 64))),
    ).toHaveLength(11);
    expect(await collect(splitter("x12")(chunked(fixture("x12-850-three-pos.edi"), 64)))).toHaveLength(3);
    expect(() => splitter("xml")).toThrow("element name");
  });
});
