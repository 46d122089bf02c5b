/**
 * Just enough MIME (RFC 2045/2046) for AS2: binary-safe entities, header parameters, multipart
 * splitting. Bodies stay Buffers throughout: a signed part must be hashed byte for byte as it
 * arrived, so nothing here re-encodes or normalises what it does not have to.
 */
export interface MimeEntity {
  /** Header fields in order, names as written. */
  readonly headers: ReadonlyArray<readonly [string, string]>;
  readonly body: Buffer;
}

const CRLF = "\r\n";

export function header(headers: MimeEntity["headers"], name: string): string | undefined {
  const lower = name.toLowerCase();
  return headers.find(([n]) => n.toLowerCase() === lower)?.[1];
}

/** Finds the blank line ending a header block, tolerating CRLF, LF and mixes of both. */
export function headerEnd(buf: Buffer): { end: number; bodyStart: number } | undefined {
  let best: { end: number; bodyStart: number } | undefined;
  for (const sep of ["\r\n\r\n", "\n\r\n", "\n\n"]) {
    const i = buf.indexOf(sep);
    if (i >= 0 && (best === undefined || i < best.end)) best = { end: i, bodyStart: i + sep.length };
  }
  // An entity whose header block is empty starts with the blank line itself.
  if (buf.subarray(0, 2).toString("latin1") === CRLF) return { end: 0, bodyStart: 2 };
  if (buf[0] === 0x0a) return { end: 0, bodyStart: 1 };
  return best;
}

/** Parses header lines, unfolding continuation lines. */
export function parseHeaderBlock(text: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const line of text.split(/\r?\n/)) {
    if (line === "") continue;
    if (/^[ \t]/.test(line) && out.length > 0) {
      const last = out[out.length - 1]!;
      last[1] = `${last[1]} ${line.trim()}`;
      continue;
    }
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    out.push([line.slice(0, colon).trim(), line.slice(colon + 1).trim()]);
  }
  return out;
}

/** Parses an entity (header block, blank line, body). A buffer without a blank line is all headers. */
export function parseEntity(buf: Buffer): MimeEntity {
  const end = headerEnd(buf);
  if (!end) return { headers: parseHeaderBlock(buf.toString("latin1")), body: Buffer.alloc(0) };
  return { headers: parseHeaderBlock(buf.subarray(0, end.end).toString("latin1")), body: buf.subarray(end.bodyStart) };
}

/** Serialises with CRLF line ends: the canonical form that AS2 signs and hashes. */
export function serializeEntity(entity: MimeEntity): Buffer {
  const head = entity.headers.map(([n, v]) => `${n}: ${v}${CRLF}`).join("");
  return Buffer.concat([Buffer.from(`${head}${CRLF}`, "latin1"), entity.body]);
}

export interface ContentType {
  /** Lower-case `type/subtype`. */
  readonly type: string;
  /** Parameter names lower-cased, values unquoted. */
  readonly params: Record<string, string>;
}

/** Splits on ';' outside quoted strings. */
function splitParams(value: string): string[] {
  const parts: string[] = [];
  let cur = "";
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (c === "\\" && quoted && i + 1 < value.length) {
      cur += c + value[++i]!;
      continue;
    }
    if (c === '"') quoted = !quoted;
    if (c === ";" && !quoted) {
      parts.push(cur);
      cur = "";
      continue;
    }
    cur += c;
  }
  parts.push(cur);
  return parts.map((p) => p.trim()).filter((p) => p.length > 0);
}

function unquote(v: string): string {
  const t = v.trim();
  if (t.length >= 2 && t.startsWith('"') && t.endsWith('"')) return t.slice(1, -1).replace(/\\(.)/g, "$1");
  return t;
}

/** Parses `Content-Type`-like values (also `Content-Disposition`, `Disposition-Notification-Options`). */
export function parseParameterized(value: string | undefined): ContentType {
  if (!value) return { type: "", params: {} };
  const [first = "", ...rest] = splitParams(value);
  const params: Record<string, string> = {};
  for (const p of rest) {
    const eq = p.indexOf("=");
    if (eq <= 0) continue;
    params[p.slice(0, eq).trim().toLowerCase()] = unquote(p.slice(eq + 1));
  }
  return { type: first.trim().toLowerCase(), params };
}

export function contentTypeOf(entity: MimeEntity): ContentType {
  return parseParameterized(header(entity.headers, "content-type") ?? "text/plain");
}

/** Quotes a parameter value when MIME needs it. */
export function quoteParam(v: string): string {
  return /^[A-Za-z0-9!#$%&'*+.^_`{|}~-]+$/.test(v) ? v : `"${v.replace(/(["\\])/g, "\\$1")}"`;
}

/**
 * Splits a multipart body into the raw bytes of each part (headers and body, exactly as
 * transmitted, without the line break that belongs to the next delimiter).
 */
export function splitMultipart(body: Buffer, boundary: string): Buffer[] {
  const delim = Buffer.from(`--${boundary}`, "latin1");
  const starts: number[] = [];
  let from = 0;
  for (;;) {
    const i = body.indexOf(delim, from);
    if (i < 0) break;
    const atLineStart = i === 0 || body[i - 1] === 0x0a;
    if (atLineStart) starts.push(i);
    from = i + delim.length;
  }
  const parts: Buffer[] = [];
  for (let k = 0; k < starts.length; k++) {
    const s = starts[k]!;
    const after = s + delim.length;
    if (body[after] === 0x2d && body[after + 1] === 0x2d) break; // closing delimiter
    const eol = body.indexOf(0x0a, after);
    if (eol < 0) break;
    const next = starts[k + 1];
    if (next === undefined) throw new Error(`multipart body has no closing delimiter for boundary ${boundary}`);
    let end = next - 1; // the LF before the next delimiter
    if (end > eol && body[end - 1] === 0x0d) end -= 1;
    parts.push(body.subarray(eol + 1, Math.max(eol + 1, end)));
  }
  return parts;
}

/** Builds a multipart body with CRLF delimiters. */
export function buildMultipart(parts: readonly Buffer[], boundary: string): Buffer {
  const chunks: Buffer[] = [];
  for (const p of parts) chunks.push(Buffer.from(`--${boundary}${CRLF}`, "latin1"), p, Buffer.from(CRLF, "latin1"));
  chunks.push(Buffer.from(`--${boundary}--${CRLF}`, "latin1"));
  return Buffer.concat(chunks);
}

/** Converts every line end to CRLF (RFC 5751 canonical form for text). */
export function canonicalize(buf: Buffer): Buffer {
  const out: number[] = [];
  for (let i = 0; i < buf.length; i++) {
    const c = buf[i]!;
    if (c === 0x0a && (i === 0 || buf[i - 1] !== 0x0d)) out.push(0x0d);
    out.push(c);
  }
  return Buffer.from(out);
}

/** Decodes a body by its Content-Transfer-Encoding. */
export function decodeBody(entity: MimeEntity): Buffer {
  const cte = (header(entity.headers, "content-transfer-encoding") ?? "binary").trim().toLowerCase();
  if (cte === "base64") return Buffer.from(entity.body.toString("latin1").replace(/[^A-Za-z0-9+/=]/g, ""), "base64");
  if (cte === "quoted-printable") {
    const text = entity.body.toString("latin1").replace(/=\r?\n/g, "");
    return Buffer.from(
      text.replace(/=([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))),
      "latin1",
    );
  }
  return entity.body;
}

/** Base64 in 76-character lines, as MIME wants it. */
export function base64Lines(buf: Buffer): string {
  return (buf.toString("base64").match(/.{1,76}/g) ?? []).join(CRLF);
}

export function randomBoundary(): string {
  return `----=_Part_${Date.now()}_${Math.random().toString(36).slice(2, 12)}`;
}
