/**
 * Message Disposition Notifications (RFC 3798, RFC 4130 section 7): multipart/report with a
 * message/disposition-notification part, optionally signed (multipart/signed).
 */
import { DIGESTS } from "./algorithms";
import { As2Error } from "./errors";
import {
  verifySignedContent,
  formatMic,
  newMessageId,
  parseMic,
  quoteAs2Name,
  stripAngles,
  unquoteAs2Name,
  httpHeader,
} from "./message";
import type { HttpHeaders, Mic, SigningKey } from "./message";
import {
  buildMultipart,
  contentTypeOf,
  decodeBody,
  parseEntity,
  parseHeaderBlock,
  randomBoundary,
  serializeEntity,
  splitMultipart,
  base64Lines,
} from "./mime";
import type { MimeEntity } from "./mime";
import { signDetached } from "./cms";

export const REPORTING_UA = "as2-transfer-gateway sandbox";

export interface BuildMdnOptions {
  /** Who answers: the receiver of the original message. */
  readonly from: string;
  /** The original sender. */
  readonly to: string;
  readonly originalMessageId: string;
  /** `undefined` = processed; otherwise the `processed/error` modifier (e.g. `authentication-failed`). */
  readonly error?: string;
  readonly mic?: Mic;
  /** Sign the MDN (the sender asked for a signed receipt). */
  readonly signing?: SigningKey;
  readonly subject?: string;
  readonly text?: string;
}

export interface BuiltMdn {
  readonly headers: HttpHeaders;
  readonly body: Buffer;
  readonly messageId: string;
  readonly subject: string;
  readonly disposition: string;
}

export function dispositionText(error?: string): string {
  return `automatic-action/MDN-sent-automatically; ${error ? `processed/error: ${error}` : "processed"}`;
}

export async function buildMdn(o: BuildMdnOptions): Promise<BuiltMdn> {
  const messageId = newMessageId(o.from);
  const disposition = dispositionText(o.error);
  const boundary = randomBoundary();
  const text = serializeEntity({
    headers: [
      ["Content-Type", "text/plain"],
      ["Content-Transfer-Encoding", "7bit"],
    ],
    body: Buffer.from(
      `${o.text ?? (o.error ? `The message <${o.originalMessageId}> could not be processed: ${o.error}.` : `The message <${o.originalMessageId}> has been received.`)}\r\n`,
      "utf8",
    ),
  });
  const fields = [
    `Reporting-UA: ${REPORTING_UA}`,
    `Original-Recipient: rfc822; ${o.from}`,
    `Final-Recipient: rfc822; ${o.from}`,
    `Original-Message-ID: <${o.originalMessageId}>`,
    `Disposition: ${disposition}`,
    ...(o.mic ? [`Received-Content-MIC: ${formatMic(o.mic)}`] : []),
  ];
  const notification = serializeEntity({
    headers: [
      ["Content-Type", "message/disposition-notification"],
      ["Content-Transfer-Encoding", "7bit"],
    ],
    body: Buffer.from(`${fields.join("\r\n")}\r\n`, "latin1"),
  });
  let entity: MimeEntity = {
    headers: [["Content-Type", `multipart/report; report-type=disposition-notification; boundary="${boundary}"`]],
    body: buildMultipart([text, notification], boundary),
  };
  if (o.signing) {
    const inner = serializeEntity(entity);
    const signature = await signDetached(inner, o.signing);
    const outer = randomBoundary();
    const sigPart = serializeEntity({
      headers: [
        ["Content-Type", "application/pkcs7-signature; name=smime.p7s; smime-type=signed-data"],
        ["Content-Transfer-Encoding", "base64"],
        ["Content-Disposition", 'attachment; filename="smime.p7s"'],
      ],
      body: Buffer.from(base64Lines(signature), "latin1"),
    });
    entity = {
      headers: [
        [
          "Content-Type",
          `multipart/signed; protocol="application/pkcs7-signature"; micalg=${DIGESTS[o.signing.algorithm].micalg}; boundary="${outer}"`,
        ],
      ],
      body: buildMultipart([inner, sigPart], outer),
    };
  }
  const subject = o.subject ?? `Message Disposition Notification`;
  return {
    headers: {
      "AS2-Version": "1.2",
      "AS2-From": quoteAs2Name(o.from),
      "AS2-To": quoteAs2Name(o.to),
      "Message-ID": `<${messageId}>`,
      Subject: subject,
      Date: new Date().toUTCString(),
      "MIME-Version": "1.0",
      "Content-Type": entity.headers[0]![1],
    },
    body: entity.body,
    messageId,
    subject,
    disposition,
  };
}

export interface ParsedMdn {
  readonly as2From: string;
  readonly as2To: string;
  readonly messageId: string;
  readonly subject?: string;
  readonly signed: boolean;
  readonly originalMessageId: string;
  /** The whole Disposition field. */
  readonly disposition: string;
  /** `processed`, `processed/error`, `processed/warning`, `failed`. */
  readonly status: string;
  /** Text after `processed/error:` etc. */
  readonly modifier?: string;
  readonly mic?: Mic;
  readonly reportingUa?: string;
  /** The human-readable part. */
  readonly text: string;
}

export interface ParseMdnOptions {
  /** Certificates that may sign the MDN. A signed MDN is verified when given. */
  readonly verifyCertificates?: readonly string[];
  /** Refuse an unsigned MDN (we asked for a signed one). */
  readonly requireSignature?: boolean;
}

/**
 * Parses (and verifies, when certificates are given) an MDN from its HTTP headers and body.
 * Throws As2Error: VERIFICATION_FAILED_NO_MATCHING_KEY_FOUND / VERIFICATION_FAILED for signature
 * problems, INVALID_REQUEST for something that is not an MDN.
 */
export async function parseMdn(
  headers: Record<string, string | string[] | undefined>,
  body: Buffer,
  o: ParseMdnOptions = {},
): Promise<ParsedMdn> {
  let entity: MimeEntity = { headers: [["Content-Type", httpHeader(headers, "content-type") ?? ""]], body };
  let signed = false;
  let ct = contentTypeOf(entity);
  if (ct.type === "multipart/signed") {
    const parts = splitMultipart(entity.body, ct.params["boundary"] ?? "");
    if (parts.length < 2) throw new As2Error("INVALID_REQUEST", "signed MDN without two parts");
    const [content, sigRaw] = parts as [Buffer, Buffer];
    signed = true;
    if (o.verifyCertificates && o.verifyCertificates.length > 0) {
      const signature = decodeBody(parseEntity(sigRaw));
      await verifySignedContent(signature, content, o.verifyCertificates);
    }
    entity = parseEntity(content);
    ct = contentTypeOf(entity);
  } else if (o.requireSignature) {
    throw new As2Error("VERIFICATION_FAILED", "a signed MDN was requested and the MDN is not signed");
  }
  if (ct.type !== "multipart/report")
    throw new As2Error("INVALID_REQUEST", `not an MDN: content type '${ct.type || "none"}'`);
  const parts = splitMultipart(entity.body, ct.params["boundary"] ?? "").map(parseEntity);
  const notification = parts.find((p) => contentTypeOf(p).type === "message/disposition-notification");
  if (!notification) throw new As2Error("INVALID_REQUEST", "MDN has no message/disposition-notification part");
  const fields = parseHeaderBlock(decodeBody(notification).toString("latin1"));
  const field = (n: string) => fields.find(([k]) => k.toLowerCase() === n.toLowerCase())?.[1];
  const disposition = field("disposition") ?? "";
  const afterSemi = disposition.split(";").slice(1).join(";").trim();
  const [status = "", ...mod] = afterSemi.split(":");
  const textPart = parts.find((p) => contentTypeOf(p).type === "text/plain");
  const mic = parseMic(field("received-content-mic"));
  const subject = httpHeader(headers, "subject");
  const modifier = mod.join(":").trim();
  const reportingUa = field("reporting-ua");
  return {
    as2From: unquoteAs2Name(httpHeader(headers, "as2-from")),
    as2To: unquoteAs2Name(httpHeader(headers, "as2-to")),
    messageId: stripAngles(httpHeader(headers, "message-id")),
    ...(subject !== undefined ? { subject } : {}),
    signed,
    originalMessageId: stripAngles(field("original-message-id")),
    disposition,
    status: status.trim().toLowerCase(),
    ...(modifier ? { modifier } : {}),
    ...(mic ? { mic } : {}),
    ...(reportingUa ? { reportingUa } : {}),
    text: textPart ? decodeBody(textPart).toString("utf8").trim() : "",
  };
}
