/** The splitter of each pipeline format. */
import { splitCsv } from "./csv";
import { splitEdifact } from "./edifact";
import { splitJsonLines } from "./jsonl";
import type { Transaction } from "./types";
import { splitX12 } from "./x12";
import { splitXml } from "./xml";

export type SplitFormat = "x12" | "edifact" | "xml" | "csv" | "jsonl";

export function splitter(
  format: SplitFormat,
  xmlElement?: string,
): (source: AsyncIterable<Buffer | string>) => AsyncGenerator<Transaction> {
  switch (format) {
    case "x12":
      return splitX12;
    case "edifact":
      return splitEdifact;
    case "csv":
      return splitCsv;
    case "jsonl":
      return splitJsonLines;
    case "xml":
      if (!xmlElement) throw new Error("format xml needs the element name of one transaction");
      return (source) => splitXml(source, xmlElement);
  }
}

export { EnvelopeError, type Transaction } from "./types";
