/** Lines of a text stream (LF or CRLF), with their 1-based numbers; memory holds one line at a time. */
import { textChunks } from "./types";

export async function* lines(source: AsyncIterable<Buffer | string>): AsyncGenerator<{ line: string; n: number }> {
  let rest = "";
  let n = 0;
  for await (const text of textChunks(source)) {
    rest += text;
    let nl: number;
    while ((nl = rest.indexOf("\n")) >= 0) {
      yield { line: rest.slice(0, nl).replace(/\r$/, ""), n: ++n };
      rest = rest.slice(nl + 1);
    }
  }
  if (rest) yield { line: rest.replace(/\r$/, ""), n: n + 1 };
}
