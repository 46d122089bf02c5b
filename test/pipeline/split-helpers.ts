import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Readable } from "node:stream";
import type { Transaction } from "../../handlers/pipeline/split/types";

export const fixture = (name: string): Buffer => readFileSync(join(__dirname, "fixtures", name));

/** A Readable that hands the bytes over in chunks of `size` (odd sizes cut segments and UTF-8 sequences). */
export function chunked(data: Buffer | string, size: number): Readable {
  const bytes = typeof data === "string" ? Buffer.from(data) : data;
  const parts: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) parts.push(bytes.subarray(i, i + size));
  return Readable.from(parts);
}

export async function collect(gen: AsyncGenerator<Transaction>): Promise<Transaction[]> {
  const out: Transaction[] = [];
  for await (const t of gen) out.push(t);
  return out;
}

/** The reason an EnvelopeError gives, or a failure when the split succeeds. */
export async function reason(gen: AsyncGenerator<Transaction>): Promise<string> {
  try {
    await collect(gen);
  } catch (e) {
    if ((e as Error).name === "EnvelopeError") return (e as Error).message;
    throw e;
  }
  throw new Error("expected an EnvelopeError, the split succeeded");
}
