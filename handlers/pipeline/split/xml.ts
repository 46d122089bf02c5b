/**
 * XML splitter: one transaction per element with the configured name (AWS's sample: `<Transaction>`),
 * streamed through saxes (a maintained, non-validating SAX parser that takes text chunks).
 *
 * The transaction's body is the element re-serialized from the parse events (attributes, text, CDATA
 * and children; comments and processing instructions inside it are dropped), so entities stay escaped.
 * A nested element of the same name stays inside its outer transaction.
 */
import { SaxesParser } from "saxes";
import { EnvelopeError, textChunks, type Transaction } from "./types";

const escapeText = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const escapeAttr = (s: string) => escapeText(s).replace(/"/g, "&quot;");

export async function* splitXml(source: AsyncIterable<Buffer | string>, element: string): AsyncGenerator<Transaction> {
  const parser = new SaxesParser();
  const ready: Transaction[] = [];
  let position = 0;
  let depth = 0; // depth inside the current transaction element; 0 = outside
  let body = "";
  let attributes: Record<string, string> = {};
  parser.on("opentag", (tag) => {
    if (depth === 0 && tag.name !== element) return;
    if (depth === 0) attributes = Object.fromEntries(Object.entries(tag.attributes).map(([k, v]) => [k, String(v)]));
    depth += 1;
    const attrs = Object.entries(tag.attributes)
      .map(([k, v]) => ` ${k}="${escapeAttr(String(v))}"`)
      .join("");
    body += `<${tag.name}${attrs}${tag.isSelfClosing ? "/>" : ">"}`;
    if (tag.isSelfClosing) close();
  });
  parser.on("closetag", (tag) => {
    if (depth === 0 || tag.isSelfClosing) return;
    body += `</${tag.name}>`;
    close();
  });
  parser.on("text", (t) => {
    if (depth > 0) body += escapeText(t);
  });
  parser.on("cdata", (t) => {
    if (depth > 0) body += `<![CDATA[${t}]]>`;
  });
  function close(): void {
    depth -= 1;
    if (depth > 0) return;
    ready.push({ position: position++, body, envelope: { element, ...attributes } });
    body = "";
  }
  try {
    for await (const text of textChunks(source)) {
      parser.write(text);
      yield* ready.splice(0);
    }
    parser.close();
  } catch (e) {
    if (e instanceof EnvelopeError) throw e;
    throw new EnvelopeError(`malformed XML: ${(e as Error).message}`);
  }
  yield* ready.splice(0);
}
