/**
 * CSV splitter (RFC 4180): the first record is the header; every further record is one transaction,
 * serialized as a JSON object keyed by the header. Quoted fields may hold commas, doubled quotes and
 * line breaks, so records are read character by character, not line by line.
 */
import { EnvelopeError, textChunks, type Transaction } from "./types";

/** Records of an RFC 4180 stream with the 1-based line each starts on. */
async function* records(source: AsyncIterable<Buffer | string>): AsyncGenerator<{ fields: string[]; line: number }> {
  let fields: string[] = [];
  let field = "";
  let quoted = false; // inside a quoted field
  let afterQuote = false; // a quote just closed, or ended a doubled quote
  let wasQuoted = false;
  let line = 1;
  let start = 1;
  let pendingCr = false;
  const endField = () => {
    fields.push(field);
    field = "";
    afterQuote = false;
    wasQuoted = false;
  };
  for await (const text of textChunks(source)) {
    for (const c of text) {
      if (pendingCr && c !== "\n") throw new EnvelopeError(`line ${line}: a bare CR outside quotes`);
      pendingCr = false;
      if (quoted) {
        if (c === '"') {
          quoted = false;
          afterQuote = true;
        } else {
          if (c === "\n") line += 1;
          field += c;
        }
      } else if (c === '"') {
        if (afterQuote) {
          field += '"'; // "" inside a quoted field
          quoted = true;
          afterQuote = false;
        } else if (field === "" && !wasQuoted) {
          quoted = true;
          wasQuoted = true;
        } else throw new EnvelopeError(`line ${line}: a quote inside an unquoted field`);
      } else if (c === ",") endField();
      else if (c === "\r") pendingCr = true;
      else if (c === "\n") {
        endField();
        yield { fields, line: start };
        fields = [];
        line += 1;
        start = line;
      } else {
        if (afterQuote) throw new EnvelopeError(`line ${line}: text after a closing quote`);
        field += c;
      }
    }
  }
  if (quoted) throw new EnvelopeError(`line ${start}: a quoted field is not closed at the end of the file`);
  if (field !== "" || fields.length > 0 || wasQuoted) {
    endField();
    yield { fields, line: start };
  }
}

export async function* splitCsv(source: AsyncIterable<Buffer | string>): AsyncGenerator<Transaction> {
  let header: string[] | undefined;
  let position = 0;
  for await (const { fields, line } of records(source)) {
    if (!header) {
      header = fields;
      continue;
    }
    if (fields.length === 1 && fields[0] === "") continue; // blank line
    if (fields.length !== header.length)
      throw new EnvelopeError(`line ${line}: ${fields.length} fields, the header has ${header.length}`);
    const row = Object.fromEntries(header.map((h, i) => [h, fields[i]!]));
    yield { position: position++, body: JSON.stringify(row), envelope: { line: String(line) } };
  }
}
