/** What every splitter yields: one transaction, with where it sat in the file. */
export interface Transaction {
  /** 0-based position of the transaction in the file (stable for the same bytes). */
  readonly position: number;
  /** The transaction's text (for X12/EDIFACT: its segments with their terminators). */
  readonly body: string;
  /** Envelope facts kept beside the transaction (control numbers, sender, receiver, type). */
  readonly envelope: Readonly<Record<string, string>>;
}

/** The file is not a well-formed interchange; `reason` says what and where. */
export class EnvelopeError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = "EnvelopeError";
  }
}

/** Text chunks of a Node Readable (or any async iterable of Buffer/string), decoded as UTF-8 across chunk borders. */
export async function* textChunks(source: AsyncIterable<Buffer | string>): AsyncGenerator<string> {
  const decoder = new TextDecoder("utf-8");
  for await (const chunk of source) {
    const text = typeof chunk === "string" ? chunk : decoder.decode(chunk, { stream: true });
    if (text) yield text;
  }
  const rest = decoder.decode();
  if (rest) yield rest;
}
