/**
 * EDIFACT splitter: one transaction per UNH…UNT, streamed.
 *
 * Service characters (ISO 9735): an optional UNA segment gives, in this order, the component and
 * data element separators, the decimal mark, the release character, a reserved space and the segment
 * terminator; without UNA they are `: + . ? (space) '`. A released character (preceded by the release
 * character) is data, never a separator. Envelope checks: UNT 1 = segments from UNH to UNT inclusive,
 * UNT 2 = UNH 1; UNE 1 = messages in the group, UNE 2 = UNG 5; UNZ 1 = groups (or messages when
 * there are no groups), UNZ 2 = UNB 5.
 */
import { EnvelopeError, textChunks, type Transaction } from "./types";

interface ServiceChars {
  readonly component: string;
  readonly element: string;
  readonly release: string;
  readonly segment: string;
}

const DEFAULTS: ServiceChars = { component: ":", element: "+", release: "?", segment: "'" };
const UNA_LENGTH = 9;

interface Segment {
  /** Raw text, terminator excluded, release characters kept (the transaction body is the raw text). */
  readonly raw: string;
  /** Data elements with release characters resolved (components left joined). */
  readonly elements: string[];
}

/** Segments of the stream; the UNA (if any) is consumed and not yielded. */
async function* segments(source: AsyncIterable<Buffer | string>): AsyncGenerator<Segment & { chars: ServiceChars }> {
  let chars: ServiceChars | undefined;
  let head = "";
  let raw = "";
  let current = "";
  let elements: string[] = [];
  let released = false;
  for await (const text of textChunks(source)) {
    let input = text;
    if (!chars) {
      // The service characters must be known before the first byte is read as data.
      head += text;
      const start = head.replace(/^\s+/, "");
      if (start.length < UNA_LENGTH) continue;
      chars = start.startsWith("UNA")
        ? { component: start[3]!, element: start[4]!, release: start[6]!, segment: start[8]! }
        : DEFAULTS;
      input = start.startsWith("UNA") ? start.slice(UNA_LENGTH) : start;
    }
    for (let i = 0; i < input.length; i++) {
      const c = input[i]!;
      if (released) {
        released = false;
        raw += c;
        current += c;
      } else if (c === chars.release) {
        released = true;
        raw += c;
      } else if (c === chars.segment) {
        elements.push(current);
        yield { raw, elements, chars };
        raw = "";
        current = "";
        elements = [];
      } else if (c === chars.element) {
        elements.push(current);
        current = "";
        raw += c;
      } else if (raw === "" && (c === "\r" || c === "\n")) {
        // line breaks between segments are layout, not data
      } else {
        raw += c;
        current += c;
      }
    }
  }
  if (!chars && head.trim()) throw new EnvelopeError(`not an EDIFACT interchange: '${head.trim()}'`);
  if (raw.trim()) throw new EnvelopeError(`the file ends inside a segment: '${raw.trim().slice(0, 40)}'`);
}

/** One transaction per UNH…UNT of every interchange (with or without UNG groups). */
export async function* splitEdifact(source: AsyncIterable<Buffer | string>): AsyncGenerator<Transaction> {
  let position = 0;
  let unb: string[] | undefined;
  let ung: string[] | undefined;
  let unh: string[] | undefined;
  let body: string[] = [];
  let groups = 0;
  let messagesInGroup = 0;
  let messagesOutsideGroups = 0;
  let n = 0;
  for await (const { raw, elements: el, chars } of segments(source)) {
    n += 1;
    const tag = el[0];
    const where = `segment ${n} (${tag})`;
    if (unh) {
      body.push(raw + chars.segment);
      if (tag !== "UNT") continue;
      if (Number(el[1]) !== body.length)
        throw new EnvelopeError(`${where}: UNT says ${el[1]} segments, message ${unh[1]} has ${body.length}`);
      if (el[2] !== unh[1])
        throw new EnvelopeError(`${where}: UNT reference '${el[2]}' does not match UNH '${unh[1]}'`);
      yield {
        position: position++,
        body: body.join(""),
        envelope: {
          interchangeControlReference: unb![5]!,
          sender: unb![2]!.split(chars.component)[0]!,
          receiver: unb![3]!.split(chars.component)[0]!,
          ...(ung ? { groupReference: ung[5]! } : {}),
          messageReference: unh[1]!,
          messageType: unh[2]!.split(chars.component)[0]!,
        },
      };
      if (ung) messagesInGroup += 1;
      else messagesOutsideGroups += 1;
      unh = undefined;
      body = [];
    } else if (tag === "UNB") {
      if (unb) throw new EnvelopeError(`${where}: UNB ${el[5]} starts before UNZ closed UNB ${unb[5]}`);
      if (!el[5]) throw new EnvelopeError(`${where}: UNB has no interchange control reference (element 5)`);
      unb = el;
      groups = 0;
      messagesOutsideGroups = 0;
    } else if (tag === "UNG") {
      if (!unb || ung) throw new EnvelopeError(`${where}: UNG outside an interchange or inside another group`);
      ung = el;
      messagesInGroup = 0;
    } else if (tag === "UNH") {
      if (!unb) throw new EnvelopeError(`${where}: UNH outside an interchange (UNB)`);
      unh = el;
      body = [raw + chars.segment];
    } else if (tag === "UNE") {
      if (!ung) throw new EnvelopeError(`${where}: UNE without UNG`);
      if (Number(el[1]) !== messagesInGroup)
        throw new EnvelopeError(`${where}: UNE says ${el[1]} messages, group ${ung[5]} has ${messagesInGroup}`);
      if (el[2] !== ung[5])
        throw new EnvelopeError(`${where}: UNE reference '${el[2]}' does not match UNG '${ung[5]}'`);
      ung = undefined;
      groups += 1;
    } else if (tag === "UNZ") {
      if (!unb || ung) throw new EnvelopeError(`${where}: UNZ without UNB or before UNE closed the group`);
      const expected = groups > 0 ? groups : messagesOutsideGroups;
      if (Number(el[1]) !== expected)
        throw new EnvelopeError(`${where}: UNZ count says ${el[1]}, interchange has ${expected}`);
      if (el[2] !== unb[5])
        throw new EnvelopeError(`${where}: UNZ reference '${el[2]}' does not match UNB '${unb[5]}'`);
      unb = undefined;
    } else {
      throw new EnvelopeError(`${where}: segment outside a message`);
    }
  }
  if (unh) throw new EnvelopeError(`message ${unh[1]} has no UNT: the file is truncated`);
  if (ung || unb) throw new EnvelopeError("the file ends before UNE/UNZ: the interchange is truncated");
}
