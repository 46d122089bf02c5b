/**
 * The workflow's "format" step (AWS's B2B pattern: accept the transaction and put it in the shape the
 * next systems want). Input: the execution input (a TransactionMessage); output: the document that
 * is stored, a JSON object per format. A transaction that cannot be read throws InvalidTransaction,
 * which the state machine does not retry (retrying cannot fix the bytes).
 */
import type { TransactionMessage } from "./transaction-message";

export class InvalidTransaction extends Error {
  override readonly name = "InvalidTransaction";
}

export interface FormattedTransaction {
  readonly id: string;
  readonly format: string;
  /** X12 set id (850), EDIFACT message type (ORDERS), XML element name, or "row"/"line". */
  readonly type: string;
  readonly document: unknown;
}

/** X12: segments as arrays of elements; the separators are read from the body itself (ST + separator, terminator last). */
function x12Segments(body: string): string[][] {
  const element = body[2];
  const terminator = body[body.length - 1];
  if (!body.startsWith("ST") || !element || !terminator)
    throw new InvalidTransaction("an X12 transaction starts with ST");
  return body
    .split(terminator)
    .map((s) => s.replace(/^\s+/, ""))
    .filter((s) => s.length > 0)
    .map((s) => s.split(element));
}

export function formatTransaction(m: TransactionMessage): FormattedTransaction {
  const base = { id: m.id, format: m.format };
  switch (m.format) {
    case "x12":
      return {
        ...base,
        type: m.envelope.transactionSetId ?? "",
        document: { envelope: m.envelope, segments: x12Segments(m.body) },
      };
    case "edifact":
      return { ...base, type: m.envelope.messageType ?? "", document: { envelope: m.envelope, text: m.body } };
    case "xml":
      return { ...base, type: m.envelope.element ?? "", document: { attributes: m.envelope, xml: m.body } };
    case "csv":
    case "jsonl":
      try {
        return { ...base, type: m.format === "csv" ? "row" : "line", document: JSON.parse(m.body) as unknown };
      } catch (e) {
        throw new InvalidTransaction(`not JSON: ${(e as Error).message}`);
      }
    default:
      throw new InvalidTransaction(`unknown format '${m.format}'`);
  }
}

export async function handler(event: TransactionMessage): Promise<FormattedTransaction> {
  return formatTransaction(event);
}
