/**
 * AS2 messages (RFC 4130): build one from a payload, and take a received one apart (decrypt,
 * verify, decompress in whatever order the sender nested them), computing the MIC the MDN returns.
 *
 * Sending order is compress → sign → encrypt (RFC 5402 section 3 recommends compressing before
 * signing). The signed entity is serialised with CRLF line ends and hashed byte for byte.
 */
import { createHash, randomUUID } from "node:crypto";
import { DIGESTS, signingAlgorithmFromName } from "./algorithms";
import type { EncryptionAlgorithm, SigningAlgorithm } from "./algorithms";
import { compress, decompress, decrypt, encrypt, signDetached, verifyDetached, cmsContentType } from "./cms";
import type { DecryptKey } from "./cms";
import { As2Error } from "./errors";
import {
  base64Lines,
  buildMultipart,
  canonicalize,
  contentTypeOf,
  decodeBody,
  header,
  headerEnd,
  parseEntity,
  parseHeaderBlock,
  parseParameterized,
  quoteParam,
  randomBoundary,
  serializeEntity,
  splitMultipart,
} from "./mime";
import type { MimeEntity } from "./mime";
import { OID } from "./algorithms";

export type HttpHeaders = Record<string, string>;

export interface Mic {
  /** base64 digest. */
  readonly value: string;
  readonly algorithm: SigningAlgorithm;
}

export function micOf(bytes: Buffer, algorithm: SigningAlgorithm): Mic {
  return { value: createHash(DIGESTS[algorithm].node).update(bytes).digest("base64"), algorithm };
}

/** `Received-Content-MIC` value: `<base64>, <alg>`. */
export function formatMic(mic: Mic): string {
  return `${mic.value}, ${DIGESTS[mic.algorithm].micalg}`;
}

export function parseMic(value: string | undefined): Mic | undefined {
  if (!value) return undefined;
  const [digest, alg] = value.split(",").map((s) => s.trim());
  const algorithm = signingAlgorithmFromName(alg);
  if (!digest || !algorithm) return undefined;
  return { value: digest, algorithm };
}

/** AS2 names with spaces or specials travel quoted (RFC 4130 section 6.2). */
export function quoteAs2Name(name: string): string {
  return /^[\x21\x23-\x27\x2a\x2b\x2d\x2e\x30-\x39\x3f\x41-\x5a\x5e-\x7e]+$/.test(name)
    ? name
    : `"${name.replace(/(["\\])/g, "\\$1")}"`;
}

export function unquoteAs2Name(value: string | undefined): string {
  const v = (value ?? "").trim();
  if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) return v.slice(1, -1).replace(/\\(.)/g, "$1");
  return v;
}

/** Message ids are carried as `<id>` in headers and without brackets in Transfer's records. */
export function stripAngles(id: string | undefined): string {
  return (id ?? "").trim().replace(/^<|>$/g, "");
}

export function newMessageId(domain: string): string {
  return `${randomUUID()}@${domain.replace(/[^A-Za-z0-9._-]/g, "_")}`;
}

// ------------------------------------------------------------------ building

export interface SigningKey {
  readonly algorithm: SigningAlgorithm;
  readonly certificatePem: string;
  readonly privateKeyPem: string;
}

export interface BuildMessageOptions {
  readonly from: string;
  readonly to: string;
  readonly payload: Buffer;
  readonly fileName: string;
  /** @default application/octet-stream */
  readonly contentType?: string;
  /** @default the file name */
  readonly subject?: string;
  /** Without angle brackets. @default a new UUID at the sender's AS2 ID */
  readonly messageId?: string;
  readonly compress: boolean;
  readonly signing?: SigningKey;
  readonly encryption?: { readonly algorithm: EncryptionAlgorithm; readonly certificatePem: string };
  /** Ask for a synchronous MDN; `signed` asks for a signed one with that MIC algorithm. Omit for no MDN. */
  readonly mdn?: { readonly signed?: SigningAlgorithm };
}

export interface BuiltMessage {
  readonly headers: HttpHeaders;
  readonly body: Buffer;
  readonly messageId: string;
  /** What the partner's MDN must return. */
  readonly mic: Mic;
}

function payloadEntity(o: BuildMessageOptions): MimeEntity {
  return {
    headers: [
      ["Content-Type", o.contentType ?? "application/octet-stream"],
      ["Content-Transfer-Encoding", "binary"],
      ["Content-Disposition", `attachment; filename=${quoteParam(o.fileName)}`],
    ],
    body: o.payload,
  };
}

async function signedEntity(inner: Buffer, key: SigningKey): Promise<MimeEntity> {
  const signature = await signDetached(inner, key);
  const boundary = randomBoundary();
  const sigPart = serializeEntity({
    headers: [
      ["Content-Type", "application/pkcs7-signature; name=smime.p7s; smime-type=signed-data"],
      ["Content-Transfer-Encoding", "base64"],
      ["Content-Disposition", 'attachment; filename="smime.p7s"'],
    ],
    body: Buffer.from(base64Lines(signature), "latin1"),
  });
  return {
    headers: [
      [
        "Content-Type",
        `multipart/signed; protocol="application/pkcs7-signature"; micalg=${DIGESTS[key.algorithm].micalg}; boundary="${boundary}"`,
      ],
    ],
    body: buildMultipart([inner, sigPart], boundary),
  };
}

export async function buildMessage(o: BuildMessageOptions): Promise<BuiltMessage> {
  const messageId = o.messageId ?? newMessageId(o.from);
  let entity = payloadEntity(o);
  // Unsigned and unencrypted: the receiver only has the payload to hash.
  let micBytes = o.payload;
  if (o.compress) {
    entity = {
      headers: [
        ["Content-Type", 'application/pkcs7-mime; smime-type=compressed-data; name="smime.p7z"'],
        ["Content-Transfer-Encoding", "binary"],
        ["Content-Disposition", 'attachment; filename="smime.p7z"'],
      ],
      body: compress(serializeEntity(entity)),
    };
  }
  const micAlgorithm: SigningAlgorithm = o.signing?.algorithm ?? o.mdn?.signed ?? "SHA256";
  if (o.signing) {
    // RFC 5402: with compression before signing, the MIC covers the compressed entity.
    micBytes = serializeEntity(entity);
    entity = await signedEntity(micBytes, o.signing);
  }
  let body: Buffer;
  let contentType: string;
  if (o.encryption) {
    // RFC 4130 section 7.3.1: unsigned, encrypted: the MIC covers the decrypted entity.
    if (!o.signing) micBytes = serializeEntity(entity);
    body = encrypt(serializeEntity(entity), o.encryption.certificatePem, o.encryption.algorithm);
    contentType = 'application/pkcs7-mime; smime-type=enveloped-data; name="smime.p7m"';
  } else {
    body = entity.body;
    contentType = header(entity.headers, "content-type")!;
  }
  const headers: HttpHeaders = {
    "AS2-Version": "1.2",
    "AS2-From": quoteAs2Name(o.from),
    "AS2-To": quoteAs2Name(o.to),
    "Message-ID": `<${messageId}>`,
    Subject: o.subject ?? o.fileName,
    Date: new Date().toUTCString(),
    "MIME-Version": "1.0",
    "Content-Type": contentType,
    "Content-Disposition": 'attachment; filename="smime.p7m"',
    "EDIINT-Features": "multiple-attachments, CEM",
  };
  if (!o.encryption) {
    for (const name of ["Content-Transfer-Encoding", "Content-Disposition"]) {
      const v = header(entity.headers, name);
      if (v) headers[name] = v;
      else delete headers[name];
    }
  }
  if (o.mdn) {
    headers["Disposition-Notification-To"] = "as2@localhost";
    if (o.mdn.signed) {
      headers["Disposition-Notification-Options"] =
        `signed-receipt-protocol=optional, pkcs7-signature; signed-receipt-micalg=optional, ${DIGESTS[o.mdn.signed].micalg}`;
    }
  }
  return { headers, body, messageId, mic: micOf(micBytes, micAlgorithm) };
}

// ------------------------------------------------------------------ receiving

/**
 * The forms a signed part may have been hashed in, most likely first: as received; with its
 * header block in canonical CRLF form and the (binary) body untouched, which is what AS2 senders
 * sign and what survives a capture that lost its CRs; fully canonical (text bodies).
 */
export function signedContentCandidates(content: Buffer): Buffer[] {
  const out = [content];
  const end = headerEnd(content);
  if (end) out.push(Buffer.concat([canonicalize(content.subarray(0, end.bodyStart)), content.subarray(end.bodyStart)]));
  out.push(canonicalize(content));
  return out.filter((b, i) => out.findIndex((o) => o.equals(b)) === i);
}

/** Verifies a detached signature over a multipart/signed content part; returns the bytes that verified. */
export async function verifySignedContent(
  signature: Buffer,
  content: Buffer,
  certificates: readonly string[],
): Promise<{ bytes: Buffer; algorithm: SigningAlgorithm | undefined }> {
  let lastError: unknown;
  for (const candidate of signedContentCandidates(content)) {
    try {
      const r = await verifyDetached(signature, candidate, certificates);
      return { bytes: candidate, algorithm: r.algorithm };
    } catch (e) {
      lastError = e;
      if (e instanceof As2Error && e.code === "VERIFICATION_FAILED_NO_MATCHING_KEY_FOUND") throw e;
    }
  }
  throw lastError;
}

/** Case-insensitive header lookup over an HTTP header record or Node's IncomingHttpHeaders. */
export function httpHeader(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(headers))
    if (k.toLowerCase() === lower) return Array.isArray(v) ? v.join(", ") : v;
  return undefined;
}

export interface MdnRequest {
  readonly requested: boolean;
  /** MIC/signing algorithm the sender asked the MDN to be signed with; undefined for an unsigned MDN. */
  readonly signed?: SigningAlgorithm;
  /** Receipt-Delivery-Option: an asynchronous MDN URL. */
  readonly asyncUrl?: string;
}

export interface As2Envelope {
  readonly as2From: string;
  readonly as2To: string;
  readonly messageId: string;
  readonly subject?: string;
  readonly mdn: MdnRequest;
}

/** Reads the AS2 headers; never throws, so a failing message can still get its MDN. */
export function readEnvelope(headers: Record<string, string | string[] | undefined>): As2Envelope {
  const options = httpHeader(headers, "disposition-notification-options") ?? "";
  let signed: SigningAlgorithm | undefined;
  const m = /signed-receipt-micalg\s*=\s*(?:(?:optional|required)\s*,)?\s*([^;]+)/i.exec(options);
  if (m && /signed-receipt-protocol\s*=\s*(?:(?:optional|required)\s*,)?\s*pkcs7-signature/i.test(options)) {
    for (const alg of m[1]!.split(",")) {
      signed = signingAlgorithmFromName(alg);
      if (signed) break;
    }
  }
  const asyncUrl = httpHeader(headers, "receipt-delivery-option");
  const subject = httpHeader(headers, "subject");
  return {
    as2From: unquoteAs2Name(httpHeader(headers, "as2-from")),
    as2To: unquoteAs2Name(httpHeader(headers, "as2-to")),
    messageId: stripAngles(httpHeader(headers, "message-id")),
    ...(subject !== undefined ? { subject } : {}),
    mdn: {
      requested: httpHeader(headers, "disposition-notification-to") !== undefined,
      ...(signed ? { signed } : {}),
      ...(asyncUrl ? { asyncUrl } : {}),
    },
  };
}

export interface ReceiveKeys {
  /** Our private keys (the station's encryption key, then any other). */
  readonly decryptKeys: readonly DecryptKey[];
  /** The partner's certificates that may have signed. */
  readonly verifyCertificates: readonly string[];
  /** Refuse unsigned messages (agreement `enforceMessageSigning`). */
  readonly requireSignature?: boolean;
  /**
   * Diagnostics only: take a message apart without checking its signature (to store what a
   * refused message carried, as Transfer keeps a failed message's payload).
   */
  readonly skipSignatureVerification?: boolean;
}

export interface ReceivedMessage extends As2Envelope {
  readonly payload: Buffer;
  readonly fileName?: string;
  readonly contentType: string;
  readonly encrypted: boolean;
  readonly encryptionAlgorithm?: EncryptionAlgorithm;
  readonly signed: boolean;
  readonly signingAlgorithm?: SigningAlgorithm;
  readonly compressed: boolean;
  /** For the MDN's Received-Content-MIC. */
  readonly mic: Mic;
}

/**
 * Some senders (Mendelson, for an encrypted unsigned message) encrypt the bare payload without a
 * MIME header block: a decrypted blob is an entity only when it starts with MIME headers.
 */
function looksLikeEntity(buf: Buffer): boolean {
  const end = headerEnd(buf);
  if (!end || end.end === 0) return false;
  const block = buf.subarray(0, end.end).toString("latin1");
  const lines = block.split(/\r?\n/);
  if (!lines.every((l) => /^[A-Za-z][A-Za-z0-9-]*:/.test(l) || /^[ \t]/.test(l))) return false;
  return parseHeaderBlock(block).some(([n]) => n.toLowerCase() === "content-type");
}

function isPkcs7Mime(type: string): boolean {
  return type === "application/pkcs7-mime" || type === "application/x-pkcs7-mime";
}

/**
 * Unpacks a received AS2 message. Throws As2Error with Transfer's failure code; `readEnvelope`
 * gives what is needed for a negative MDN.
 */
export async function unpackMessage(
  headers: Record<string, string | string[] | undefined>,
  body: Buffer,
  keys: ReceiveKeys,
): Promise<ReceivedMessage> {
  const envelope = readEnvelope(headers);
  const topHeaders: Array<[string, string]> = [];
  for (const name of ["content-type", "content-transfer-encoding", "content-disposition"]) {
    const v = httpHeader(headers, name);
    if (v !== undefined) topHeaders.push([name, v]);
  }
  let entity: MimeEntity = { headers: topHeaders, body };
  let encrypted = false;
  let encryptionAlgorithm: EncryptionAlgorithm | undefined;
  let signed = false;
  let signingAlgorithm: SigningAlgorithm | undefined;
  let compressed = false;
  let micBytes: Buffer | undefined;
  let micAlgorithm: SigningAlgorithm = envelope.mdn.signed ?? "SHA256";

  for (let depth = 0; depth < 8; depth++) {
    const ct = contentTypeOf(entity);
    if (
      isPkcs7Mime(ct.type) ||
      (ct.type === "application/octet-stream" && cmsContentType(decodeBody(entity)) !== undefined && depth === 0)
    ) {
      const der = decodeBody(entity);
      const kind = (ct.params["smime-type"] ?? "").toLowerCase();
      const cms = cmsContentType(der);
      if (kind === "compressed-data" || cms === OID.compressedData) {
        const inner = decompress(der);
        compressed = true;
        entity = looksLikeEntity(inner) ? parseEntity(inner) : { headers: [], body: inner };
        continue;
      }
      if (kind === "enveloped-data" || cms === OID.envelopedData) {
        const inner = decrypt(der, keys.decryptKeys);
        encrypted = true;
        encryptionAlgorithm = inner.algorithm;
        if (looksLikeEntity(inner.content)) {
          entity = parseEntity(inner.content);
          if (!signed) micBytes = inner.content;
        } else {
          entity = { headers: [], body: inner.content };
          if (!signed) micBytes = inner.content;
        }
        continue;
      }
      if (isPkcs7Mime(ct.type))
        throw new As2Error("DECRYPT_FAILED_INVALID_SMIME_FORMAT", `unsupported S/MIME type '${kind || cms}'`);
    }
    if (ct.type === "multipart/signed") {
      const boundary = ct.params["boundary"];
      if (!boundary) throw new As2Error("INVALID_REQUEST", "multipart/signed without boundary");
      const parts = splitMultipart(entity.body, boundary);
      if (parts.length < 2) throw new As2Error("INVALID_REQUEST", "multipart/signed needs two parts");
      const [content, sigRaw] = parts as [Buffer, Buffer];
      const sigEntity = parseEntity(sigRaw);
      const signature = decodeBody(sigEntity);
      const { bytes: verified, algorithm } = keys.skipSignatureVerification
        ? { bytes: content, algorithm: undefined }
        : await verifySignedContent(signature, content, keys.verifyCertificates);
      signingAlgorithm = algorithm ?? signingAlgorithmFromName(ct.params["micalg"]);
      signed = true;
      micBytes = verified;
      micAlgorithm = signingAlgorithm ?? micAlgorithm;
      entity = parseEntity(verified);
      continue;
    }
    break;
  }

  if (keys.requireSignature && !signed) {
    throw new As2Error("VERIFICATION_FAILED", "The agreement enforces message signing and the message is not signed");
  }
  const disposition = parseParameterized(header(entity.headers, "content-disposition"));
  const fileName = disposition.params["filename"];
  const payload = decodeBody(entity);
  return {
    ...envelope,
    payload,
    ...(fileName ? { fileName } : {}),
    contentType: header(entity.headers, "content-type") ?? "application/octet-stream",
    encrypted,
    ...(encryptionAlgorithm ? { encryptionAlgorithm } : {}),
    signed,
    ...(signingAlgorithm ? { signingAlgorithm } : {}),
    compressed,
    mic: micOf(micBytes ?? payload, micAlgorithm),
  };
}

/** Splits a raw HTTP-style capture (`headers`, blank line, body) as the interop fixtures store it. */
export function splitHttpCapture(raw: Buffer): { headers: HttpHeaders; body: Buffer } {
  const e = parseEntity(raw);
  const headers: HttpHeaders = {};
  for (const [n, v] of e.headers) headers[n.toLowerCase()] = v;
  return { headers, body: e.body };
}
