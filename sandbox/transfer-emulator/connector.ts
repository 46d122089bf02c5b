/**
 * StartFileTransfer on an AS2 connector, as Transfer Family performs it: per file, read it from S3,
 * build the AS2 message with the connector's algorithms, POST it to the partner, read and verify the
 * synchronous MDN, write the status JSON (and MDN) beside the file's parent directory, and emit the
 * `AS2 Payload Send *` / `AS2 MDN Receive *` events.
 */
import { randomUUID } from "node:crypto";
import { GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import type { S3Client } from "@aws-sdk/client-s3";
import { As2Error, buildMessage, negativeMdnCode, parseMdn } from "../as2";
import type { FailureCode, SigningAlgorithm } from "../as2";
import { isoNow, transferEvent } from "./events";
import type { As2DetailType, EventContext } from "./events";
import { ConnectError, post } from "./http-post";
import type { HostLookup } from "./http-post";
import { eventKey, outboundStatusKeys, parseTransferPath } from "./paths";
import type { Outcome, S3Path } from "./paths";
import type { Connector, EventSink } from "./types";

export interface OutboundResult {
  readonly file: S3Path;
  readonly transferId: string;
  readonly messageId: string;
  readonly outcome: Outcome;
  readonly failureCode?: string;
  readonly failureMessage?: string;
  readonly disposition?: string;
}

export interface ConnectorRuntime {
  readonly s3: S3Client;
  readonly emit: EventSink;
  readonly ctx: EventContext;
  /** @default 30000 */
  readonly httpTimeoutMs?: number;
  /** Resolves partner host names (the sandbox maps its stand-ins'); @default the system resolver. */
  readonly lookup?: HostLookup;
}

interface Failure {
  readonly code: FailureCode;
  readonly message: string;
}

/** DNS failures as Node reports them (getaddrinfo). */
const UNRESOLVED = new Set(["ENOTFOUND", "EAI_AGAIN", "EAI_NONAME", "EAI_FAIL"]);

async function readObject(s3: S3Client, p: S3Path): Promise<Buffer> {
  const out = await s3.send(new GetObjectCommand({ Bucket: p.bucket, Key: p.key }));
  return Buffer.from(await out.Body!.transformToByteArray());
}

function mdnSigningOf(c: Connector): SigningAlgorithm | undefined {
  if (c.mdnSigning === "NONE") return undefined;
  if (c.mdnSigning === "DEFAULT") return c.signing === "NONE" ? "SHA256" : c.signing;
  return c.mdnSigning;
}

/** Sends one file; never throws (a failure is a result, with status files and events). */
export async function sendFile(
  rt: ConnectorRuntime,
  c: Connector,
  sendFilePath: string,
  transferId: string,
): Promise<OutboundResult> {
  const start = isoNow();
  const file = parseTransferPath(sendFilePath);
  const fileName = file.key.slice(file.key.lastIndexOf("/") + 1);
  const subject = c.messageSubject ?? fileName;
  const base = {
    "connector-id": c.connectorId,
    "transfer-id": transferId,
    "as2-from": c.local.as2Id,
    "as2-to": c.partner.as2Id,
    "requester-file-name": fileName,
    "message-subject": subject,
  };
  const emit = (type: As2DetailType, detail: Record<string, unknown>) =>
    rt.emit(transferEvent(rt.ctx, type, { kind: "connector", id: c.connectorId }, { ...base, ...detail }));

  let payload: Buffer;
  try {
    payload = await readObject(rt.s3, file);
  } catch (e) {
    const messageId = `${randomUUID()}@${c.local.as2Id}`;
    return finish(
      rt,
      c,
      { file, transferId, messageId, start, subject, fileName, bytes: 0, emit },
      "AS2 Payload Send Failed",
      (e as Error).name === "NoSuchKey"
        ? { code: "SEND_FILE_NOT_FOUND", message: `File ${sendFilePath} not found` }
        : { code: "ACCESS_DENIED", message: `Unable to read ${sendFilePath}: ${(e as Error).name}` },
    );
  }

  const mdnSigned = mdnSigningOf(c);
  const built = await buildMessage({
    from: c.local.as2Id,
    to: c.partner.as2Id,
    payload,
    fileName,
    subject,
    compress: c.compression === "ZLIB",
    ...(c.signing !== "NONE" ? { signing: { algorithm: c.signing, ...c.local.signing } } : {}),
    ...(c.encryption !== "NONE"
      ? { encryption: { algorithm: c.encryption, certificatePem: c.partner.encryptionCertificate } }
      : {}),
    ...(c.mdnResponse === "SYNC" ? { mdn: mdnSigned ? { signed: mdnSigned } : {} } : {}),
  });
  const ids = { file, transferId, messageId: built.messageId, start, subject, fileName, bytes: payload.length, emit };

  let response;
  try {
    response = await post(c.url, built.headers, built.body, rt.httpTimeoutMs ?? 30_000, rt.lookup);
  } catch (e) {
    if (e instanceof ConnectError && e.code !== undefined && UNRESOLVED.has(e.code)) {
      const host = new URL(c.url).hostname;
      return finish(rt, c, ids, "AS2 Payload Send Failed", {
        code: "UNABLE_TO_RESOLVE_HOSTNAME",
        message: `Unable to resolve hostname ${host} (${e.code})`,
      });
    }
    const message =
      e instanceof ConnectError && e.timedOut
        ? "Connection to endpoint timed out."
        : `${(e as Error).message} (${c.url})`;
    return finish(rt, c, ids, "AS2 Payload Send Failed", { code: "UNABLE_TO_CONNECT_TO_REMOTE_HOST_OR_IP", message });
  }
  if (response.status < 200 || response.status >= 300) {
    return finish(rt, c, ids, "AS2 Payload Send Failed", {
      code: "HTTP_ERROR_RESPONSE_FROM_PARTNER",
      message: `${c.url} returned status ${response.status} for message with ID ${built.messageId}`,
    });
  }
  if (c.mdnResponse !== "SYNC") {
    return finish(rt, c, ids, "AS2 Payload Send Completed", undefined);
  }

  await emit("AS2 Payload Send Completed", {
    "as2-message-id": built.messageId,
    bytes: payload.length,
    "start-timestamp": start,
    "end-timestamp": isoNow(),
    "status-code": "PROCESSING",
    "s3-attributes": { "file-bucket": file.bucket, "file-key": eventKey(file.key) },
  });

  let mdn;
  try {
    mdn = await parseMdn(response.headers, response.body, {
      verifyCertificates: c.partner.signingCertificates,
      requireSignature: mdnSigned !== undefined,
    });
  } catch (e) {
    const failure: Failure =
      e instanceof As2Error
        ? { code: e.code, message: e.message.replace("the partner profile", `profile: ${c.partner.as2Id}`) }
        : { code: "INVALID_REQUEST", message: (e as Error).message };
    return finish(rt, c, ids, "AS2 MDN Receive Failed", failure, { mdnBody: response });
  }
  const mdnInfo = {
    mdnBody: response,
    mdnMessageId: mdn.messageId,
    mdnSubject: mdn.subject,
    disposition: mdn.disposition,
  };
  if (mdn.originalMessageId && mdn.originalMessageId !== built.messageId) {
    return finish(
      rt,
      c,
      ids,
      "AS2 MDN Receive Failed",
      { code: "INVALID_REQUEST", message: `MDN answers message ${mdn.originalMessageId}, not ${built.messageId}` },
      mdnInfo,
    );
  }
  if (mdn.status !== "processed") {
    // AWS's table: a negative MDN fails with MDN_RESPONSE_INDICATES_<the MDN's error modifier>.
    return finish(
      rt,
      c,
      ids,
      "AS2 MDN Receive Failed",
      { code: negativeMdnCode(mdn.modifier), message: `The partner returned a negative MDN: ${mdn.disposition}` },
      mdnInfo,
    );
  }
  if (mdn.mic && (mdn.mic.value !== built.mic.value || mdn.mic.algorithm !== built.mic.algorithm)) {
    return finish(
      rt,
      c,
      ids,
      "AS2 MDN Receive Failed",
      { code: "VERIFICATION_FAILED", message: `MIC mismatch: sent ${built.mic.value}, MDN returned ${mdn.mic.value}` },
      mdnInfo,
    );
  }
  return finish(rt, c, ids, "AS2 MDN Receive Completed", undefined, mdnInfo);
}

interface Ids {
  readonly file: S3Path;
  readonly transferId: string;
  readonly messageId: string;
  readonly start: string;
  readonly subject: string;
  readonly fileName: string;
  readonly bytes: number;
  readonly emit: (type: As2DetailType, detail: Record<string, unknown>) => void | Promise<void>;
}

interface MdnInfo {
  readonly mdnBody?: { headers: Record<string, string | string[] | undefined>; body: Buffer };
  readonly mdnMessageId?: string;
  readonly mdnSubject?: string;
  readonly disposition?: string;
}

/** Writes the status JSON (and MDN), then emits the final event. */
async function finish(
  rt: ConnectorRuntime,
  c: Connector,
  ids: Ids,
  type: As2DetailType,
  failure: Failure | undefined,
  mdn: MdnInfo = {},
): Promise<OutboundResult> {
  const outcome: Outcome = failure ? "failed" : "processed";
  const keys = outboundStatusKeys(ids.file.key, outcome, ids.transferId, ids.messageId);
  const now = isoNow();
  const status = {
    "requester-content-type": "application/octet-stream",
    subject: ids.subject,
    "requester-file-name": ids.fileName,
    "as2-from": c.local.as2Id,
    "as2-to": c.partner.as2Id,
    "connector-id": c.connectorId,
    "transfer-id": ids.transferId,
    "as2-message-id": ids.messageId,
    "status-code": failure ? "FAILED" : "COMPLETED",
    ...(failure ? { "failure-code": failure.code } : {}),
    ...(failure ? { "failure-message": failure.message } : {}),
    ...(mdn.disposition ? { disposition: mdn.disposition } : {}),
    ...(mdn.mdnMessageId ? { "mdn-message-id": mdn.mdnMessageId } : {}),
    ...(mdn.mdnSubject ? { "mdn-subject": mdn.mdnSubject } : {}),
    "transfer-size": ids.bytes,
    "file-path": `/${ids.file.bucket}/${ids.file.key}`,
    timestamp: now,
  };
  await rt.s3.send(
    new PutObjectCommand({
      Bucket: ids.file.bucket,
      Key: keys.json,
      Body: JSON.stringify(status, null, 2),
      ContentType: "application/json",
    }),
  );
  let mdnWritten = false;
  if (mdn.mdnBody) {
    const head = Object.entries(mdn.mdnBody.headers)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}: ${Array.isArray(v) ? v.join(", ") : v}\r\n`)
      .join("");
    await rt.s3.send(
      new PutObjectCommand({
        Bucket: ids.file.bucket,
        Key: keys.mdn,
        Body: Buffer.concat([Buffer.from(`${head}\r\n`, "latin1"), mdn.mdnBody.body]),
      }),
    );
    mdnWritten = true;
  }
  await ids.emit(type, {
    "as2-message-id": ids.messageId,
    bytes: ids.bytes,
    "mdn-message-id": mdn.mdnMessageId,
    "mdn-subject": mdn.mdnSubject,
    disposition: mdn.disposition,
    "start-timestamp": ids.start,
    "end-timestamp": now,
    "status-code": failure ? "FAILED" : "COMPLETED",
    "failure-code": failure?.code,
    "failure-message": failure?.message,
    "s3-attributes": {
      "file-bucket": ids.file.bucket,
      "file-key": eventKey(ids.file.key),
      "json-bucket": ids.file.bucket,
      "json-key": eventKey(keys.json),
      ...(mdnWritten ? { "mdn-bucket": ids.file.bucket, "mdn-key": eventKey(keys.mdn) } : {}),
    },
  });
  return {
    file: ids.file,
    transferId: ids.transferId,
    messageId: ids.messageId,
    outcome,
    ...(failure ? { failureCode: failure.code } : {}),
    ...(failure ? { failureMessage: failure.message } : {}),
    ...(mdn.disposition ? { disposition: mdn.disposition } : {}),
  };
}
