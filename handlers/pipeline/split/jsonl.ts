/** JSON Lines splitter: one transaction per non-empty line; a line that is not JSON fails the file. */
import { lines } from "./lines";
import { EnvelopeError, type Transaction } from "./types";

export async function* splitJsonLines(source: AsyncIterable<Buffer | string>): AsyncGenerator<Transaction> {
  let position = 0;
  for await (const { line, n } of lines(source)) {
    if (!line.trim()) continue;
    try {
      JSON.parse(line);
    } catch (e) {
      throw new EnvelopeError(`line ${n} is not JSON: ${(e as Error).message}`);
    }
    yield { position: position++, body: line, envelope: { line: String(n) } };
  }
}
