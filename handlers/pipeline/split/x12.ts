/**
 * X12 splitter: one transaction per ST…SE, streamed.
 *
 * The ISA segment has a fixed width of 106 characters: the element separator is its 4th character and
 * the segment terminator its 106th (ISA16, the component separator, sits just before it). Every
 * interchange in a file can use its own separators, so they are read again at each ISA.
 * Envelope checks: SE01 = segments from ST to SE inclusive, SE02 = ST02, GE01 = number of ST in the
 * group, GE02 = GS06, IEA01 = number of GS in the interchange, IEA02 = ISA13.
 */
import { EnvelopeError, textChunks, type Transaction } from "./types";

const ISA_LENGTH = 106;

interface Separators {
  readonly element: string;
  readonly segment: string;
}

/** Segments of the stream (without terminators, leading line breaks dropped), and the separators in force. */
async function* segments(source: AsyncIterable<Buffer | string>): AsyncGenerator<{ seg: string; sep: Separators }> {
  let buffer = "";
  let sep: Separators | undefined;
  for await (const text of textChunks(source)) {
    buffer += text;
    for (;;) {
      buffer = buffer.replace(/^\s+/, "");
      if (!sep) {
        if (buffer.length < ISA_LENGTH) break;
        if (!buffer.startsWith("ISA"))
          throw new EnvelopeError(`expected an ISA segment, found '${buffer.slice(0, 20)}'`);
        sep = { element: buffer[3]!, segment: buffer[ISA_LENGTH - 1]! };
        if (sep.element === sep.segment || /[A-Za-z0-9]/.test(sep.element + sep.segment))
          throw new EnvelopeError("ISA separators unreadable: the ISA segment must be exactly 106 characters");
      }
      const end = buffer.indexOf(sep.segment);
      if (end < 0) break;
      const seg = buffer.slice(0, end);
      buffer = buffer.slice(end + 1);
      yield { seg, sep };
      // IEA closes the interchange: the next one may declare other separators.
      if (seg.startsWith(`IEA${sep.element}`)) sep = undefined;
    }
  }
  if (buffer.trim()) throw new EnvelopeError(`the file ends inside a segment: '${buffer.trim().slice(0, 40)}'`);
}

/** One transaction per ST…SE of every functional group of every interchange. */
export async function* splitX12(source: AsyncIterable<Buffer | string>): AsyncGenerator<Transaction> {
  let position = 0;
  let isa: string[] | undefined;
  let gs: string[] | undefined;
  let st: string[] | undefined;
  let groups = 0;
  let sets = 0;
  let body: string[] = [];
  let n = 0;
  for await (const { seg, sep } of segments(source)) {
    n += 1;
    const el = seg.split(sep.element);
    const id = el[0];
    const where = `segment ${n} (${id})`;
    if (st) {
      body.push(seg + sep.segment);
      if (id !== "SE") continue;
      if (Number(el[1]) !== body.length)
        throw new EnvelopeError(`${where}: SE01 says ${el[1]} segments, transaction ${st[2]} has ${body.length}`);
      if (el[2] !== st[2]) throw new EnvelopeError(`${where}: SE02 '${el[2]}' does not match ST02 '${st[2]}'`);
      yield {
        position: position++,
        body: body.join(""),
        envelope: {
          interchangeControlNumber: isa![13]!.trim(),
          sender: isa![6]!.trim(),
          receiver: isa![8]!.trim(),
          groupControlNumber: gs![6]!,
          functionalId: gs![1]!,
          transactionSetId: st[1]!,
          transactionControlNumber: st[2]!,
        },
      };
      sets += 1;
      st = undefined;
      body = [];
    } else if (id === "ISA") {
      if (isa) throw new EnvelopeError(`${where}: ISA ${el[13]} starts before IEA closed ISA ${isa[13]}`);
      if (el.length !== 17) throw new EnvelopeError(`${where}: ISA has ${el.length - 1} elements, expected 16`);
      isa = el;
      groups = 0;
    } else if (id === "GS") {
      if (!isa || gs) throw new EnvelopeError(`${where}: GS outside an interchange or inside another group`);
      gs = el;
      sets = 0;
    } else if (id === "ST") {
      if (!gs) throw new EnvelopeError(`${where}: ST outside a functional group (GS)`);
      st = el;
      body = [seg + sep.segment];
    } else if (id === "GE") {
      if (!gs) throw new EnvelopeError(`${where}: GE without GS`);
      if (Number(el[1]) !== sets)
        throw new EnvelopeError(`${where}: GE01 says ${el[1]} transaction sets, group ${gs[6]} has ${sets}`);
      if (el[2] !== gs[6]) throw new EnvelopeError(`${where}: GE02 '${el[2]}' does not match GS06 '${gs[6]}'`);
      gs = undefined;
      groups += 1;
    } else if (id === "IEA") {
      if (!isa || gs) throw new EnvelopeError(`${where}: IEA without ISA or before GE closed the group`);
      if (Number(el[1]) !== groups)
        throw new EnvelopeError(`${where}: IEA01 says ${el[1]} groups, interchange has ${groups}`);
      if (el[2] !== isa[13]) throw new EnvelopeError(`${where}: IEA02 '${el[2]}' does not match ISA13 '${isa[13]}'`);
      isa = undefined;
    } else {
      throw new EnvelopeError(`${where}: segment outside a transaction set`);
    }
  }
  if (st) throw new EnvelopeError(`transaction ${st[2]} has no SE: the file is truncated`);
  if (gs || isa) throw new EnvelopeError("the file ends before GE/IEA: the interchange is truncated");
}
