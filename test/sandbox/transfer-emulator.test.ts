/**
 * The Transfer Family emulator and the partner stand-in, driven by hand against a real local S3
 * server: real AS2 on the wire both ways, Transfer's file naming, events the handlers' parser reads.
 */
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from "@aws-sdk/client-s3";
import { StartFileTransferCommand, TransferClient } from "@aws-sdk/client-transfer";
import { startLocalAws } from "../helpers/local-servers";
import type { LocalAws } from "../helpers/local-servers";
import { generateKeyPair, parseMdn } from "../../sandbox/as2";
import { TransferEmulator } from "../../sandbox/transfer-emulator";
import type { Agreement, Connector, TransferEventEnvelope } from "../../sandbox/transfer-emulator";
import { PartnerStandIn } from "../../sandbox/partner/partner";
import { parseTransferEvent } from "../../handlers/shared/transfer-events";

const BUCKET = "emulator-test";
const GLOBEX_HOST = "globex.emulator-test.invalid";
const station = {
  as2Id: "ACME-AS2",
  signing: generateKeyPair({ commonName: "ACME-AS2" }),
  encryption: generateKeyPair({ commonName: "ACME-AS2 enc" }),
};
const globexKeys = generateKeyPair({ commonName: "GLOBEX" });
const globexProfile = {
  as2Id: "GLOBEX",
  signingCertificates: [globexKeys.certificatePem],
  encryptionCertificate: globexKeys.certificatePem,
};
const stationAsPartnerSees = {
  as2Id: station.as2Id,
  signingCertificates: [station.signing.certificatePem],
  encryptionCertificate: station.encryption.certificatePem,
};

let aws: LocalAws;
let partner: PartnerStandIn;
let emulator: TransferEmulator;
let transfer: TransferClient;
let as2Url: string;
const events: TransferEventEnvelope[] = [];

async function text(key: string): Promise<string> {
  const o = await aws.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return o.Body!.transformToString();
}
async function keysUnder(prefix: string): Promise<string[]> {
  const r = await aws.s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }));
  return (r.Contents ?? []).map((c) => c.Key!).sort();
}

beforeAll(async () => {
  aws = await startLocalAws();
  await aws.createBucket(BUCKET);
  partner = new PartnerStandIn({
    as2Id: "GLOBEX",
    signing: globexKeys,
    encryption: globexKeys,
    station: stationAsPartnerSees,
  });
  await partner.start();
  const connector: Connector = {
    connectorId: "c-00000000000000001",
    // A host name, so the connector resolves it (partner mode "unresolvable" makes that fail).
    url: partner.urlAt(GLOBEX_HOST),
    local: station,
    partner: globexProfile,
    signing: "SHA256",
    encryption: "AES256_CBC",
    compression: "ZLIB",
    mdnResponse: "SYNC",
    mdnSigning: "DEFAULT",
    messageSubject: "ACME invoice",
  };
  const agreement: Agreement = {
    agreementId: "a-00000000000000001",
    local: station,
    partner: globexProfile,
    baseDirectory: `/${BUCKET}/_gateway/inbound/globex`,
  };
  emulator = new TransferEmulator({
    s3: aws.s3,
    emit: (e) => void events.push(e),
    connectors: [connector],
    agreements: [agreement],
    httpTimeoutMs: 5000,
    lookup: (host) => (host === GLOBEX_HOST ? (partner.mode === "unresolvable" ? null : "127.0.0.1") : undefined),
  });
  const ep = await emulator.start();
  as2Url = ep.as2Url;
  transfer = new TransferClient({
    region: "eu-west-1",
    endpoint: ep.apiEndpoint,
    credentials: { accessKeyId: "x", secretAccessKey: "y" },
    maxAttempts: 1,
  });
});

afterAll(async () => {
  transfer.destroy();
  await emulator.stop();
  await partner.stop();
  await aws.stop();
});

beforeEach(async () => {
  events.length = 0;
  await partner.setMode("ok");
});

async function sendThroughConnector(key: string, body: string): Promise<string> {
  await aws.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
  const out = await transfer.send(
    new StartFileTransferCommand({ ConnectorId: "c-00000000000000001", SendFilePaths: [`/${BUCKET}/${key}`] }),
  );
  await emulator.idle();
  return out.TransferId!;
}

describe("StartFileTransfer through the AWS SDK", () => {
  it("sends a signed, encrypted, compressed message, verifies the signed MDN and writes Transfer's status files", async () => {
    const transferId = await sendThroughConnector(
      "_gateway/outbound/globex/claim-1/invoice 1.edi",
      "UNB+UNOA:2+ACME+GLOBEX'",
    );
    const got = partner.received.at(-1)!;
    expect(got).toMatchObject({
      from: "ACME-AS2",
      fileName: "invoice 1.edi",
      signed: true,
      encrypted: true,
      compressed: true,
      answered: "processed",
    });
    expect(got.payload.toString()).toBe("UNB+UNOA:2+ACME+GLOBEX'");

    const stem = `_gateway/outbound/globex/claim-1/processed/invoice 1.${transferId}.${got.messageId}.edi`;
    expect(await keysUnder("_gateway/outbound/globex/claim-1/processed/")).toEqual([`${stem}.json`, `${stem}.mdn`]);
    const status = JSON.parse(await text(`${stem}.json`));
    expect(status).toMatchObject({
      "status-code": "COMPLETED",
      "transfer-id": transferId,
      "as2-message-id": got.messageId,
      "connector-id": "c-00000000000000001",
      "requester-file-name": "invoice 1.edi",
      disposition: "automatic-action/MDN-sent-automatically; processed",
      "file-path": `/${BUCKET}/_gateway/outbound/globex/claim-1/invoice 1.edi`,
    });
    const mdnRaw = Buffer.from(await text(`${stem}.mdn`), "latin1");
    const sep = mdnRaw.indexOf("\r\n\r\n");
    const headers = Object.fromEntries(
      mdnRaw
        .subarray(0, sep)
        .toString("latin1")
        .split("\r\n")
        .map((l) => [l.slice(0, l.indexOf(":")), l.slice(l.indexOf(":") + 2)]),
    );
    const mdn = await parseMdn(headers, mdnRaw.subarray(sep + 4), {
      verifyCertificates: [globexKeys.certificatePem],
      requireSignature: true,
    });
    expect(mdn.originalMessageId).toBe(got.messageId);

    expect(events.map((e) => e["detail-type"])).toEqual(["AS2 Payload Send Completed", "AS2 MDN Receive Completed"]);
    const final = parseTransferEvent(events[1]);
    expect(final).toMatchObject({
      connectorId: "c-00000000000000001",
      transferId,
      as2MessageId: got.messageId,
      statusCode: "COMPLETED",
      subject: "ACME invoice",
      requesterFileName: "invoice 1.edi",
      json: { bucket: BUCKET, key: `${stem}.json` },
      mdn: { bucket: BUCKET, key: `${stem}.mdn` },
      file: { bucket: BUCKET, key: "_gateway/outbound/globex/claim-1/invoice 1.edi" },
    });
  });

  it.each([
    ["down", "AS2 Payload Send Failed", "UNABLE_TO_CONNECT_TO_REMOTE_HOST_OR_IP"],
    ["unresolvable", "AS2 Payload Send Failed", "UNABLE_TO_RESOLVE_HOSTNAME"],
    ["http-500", "AS2 Payload Send Failed", "HTTP_ERROR_RESPONSE_FROM_PARTNER"],
    ["bad-mdn-signature", "AS2 MDN Receive Failed", "VERIFICATION_FAILED_NO_MATCHING_KEY_FOUND"],
  ] as const)("partner %s: %s with %s and a status file in failed/", async (mode, detailType, code) => {
    await partner.setMode(mode);
    const transferId = await sendThroughConnector(`_gateway/outbound/globex/claim-${mode}/order.x12`, "ISA*00~");
    const final = parseTransferEvent(events.at(-1));
    expect(final).toMatchObject({ detailType, statusCode: "FAILED", failureCode: code, transferId });
    expect(final.json!.key).toMatch(
      new RegExp(`^_gateway/outbound/globex/claim-${mode}/failed/order\\.${transferId}\\..+\\.x12\\.json$`),
    );
    expect(JSON.parse(await text(final.json!.key!))).toMatchObject({ "status-code": "FAILED", "failure-code": code });
  });

  it("a negative MDN fails the transfer with MDN_RESPONSE_INDICATES_* and the partner's disposition", async () => {
    await partner.setMode("negative-mdn");
    await sendThroughConnector("_gateway/outbound/globex/claim-neg/a.edi", "x");
    const final = parseTransferEvent(events.at(-1));
    expect(final).toMatchObject({
      detailType: "AS2 MDN Receive Failed",
      statusCode: "FAILED",
      failureCode: "MDN_RESPONSE_INDICATES_UNEXPECTED_PROCESSING_ERROR",
      disposition: "automatic-action/MDN-sent-automatically; processed/error: unexpected-processing-error",
    });
    expect(final.failureMessage).toContain("negative MDN");
  });

  it("answers ResourceNotFoundException, ValidationException and (injected) ThrottlingException as the SDK expects", async () => {
    await expect(
      transfer.send(new StartFileTransferCommand({ ConnectorId: "c-nope", SendFilePaths: ["/b/k"] })),
    ).rejects.toMatchObject({ name: "ResourceNotFoundException" });
    const eleven = Array.from({ length: 11 }, (_, i) => `/${BUCKET}/f${i}`);
    await expect(
      transfer.send(new StartFileTransferCommand({ ConnectorId: "c-00000000000000001", SendFilePaths: eleven })),
    ).rejects.toMatchObject({ name: "ValidationException" });
    emulator.throttleNext = 1;
    await expect(
      transfer.send(new StartFileTransferCommand({ ConnectorId: "c-00000000000000001", SendFilePaths: ["/b/k"] })),
    ).rejects.toMatchObject({ name: "ThrottlingException" });
  });
});

describe("the AS2 server", () => {
  it("accepts a partner's message into the agreement's base directory and answers a signed MDN", async () => {
    const r = await partner.sendInbound({ url: as2Url, fileName: "order 7.edi", payload: Buffer.from("ORDERS 7") });
    expect(r.httpStatus).toBe(200);
    expect(r.mdn).toMatchObject({ status: "processed", signed: true, originalMessageId: r.messageId });
    expect(r.micMatches).toBe(true);
    await emulator.idle();
    const file = `_gateway/inbound/globex/processed/order 7.${r.messageId}.edi`;
    expect(await keysUnder("_gateway/inbound/globex/processed/order 7")).toEqual([file, `${file}.json`, `${file}.mdn`]);
    expect(await text(file)).toBe("ORDERS 7");
    expect(JSON.parse(await text(`${file}.json`))).toMatchObject({
      "status-code": "COMPLETED",
      "requester-file-name": "order 7.edi",
      "agreement-id": "a-00000000000000001",
      "as2-from": "GLOBEX",
      "as2-to": "ACME-AS2",
    });
    expect(events.map((e) => e["detail-type"])).toEqual(["AS2 Payload Receive Completed", "AS2 MDN Send Completed"]);
    expect(parseTransferEvent(events[0])).toMatchObject({
      agreementId: "a-00000000000000001",
      requesterFileName: "order 7.edi",
      file: { bucket: BUCKET, key: file },
      statusCode: "COMPLETED",
    });
    // Documented for Payload Receive Completed (and MDN Send Completed): the path the partner posted to.
    expect(events[0]!.detail["request-path"]).toBe("/");
    expect(events[1]!.detail["request-path"]).toBe("/");
    expect(parseTransferEvent(events[1])).toMatchObject({
      mdnType: "SYNC",
      mdn: { bucket: BUCKET, key: `${file}.mdn` },
    });
  });

  it("fails a message signed by another key: failed/, VERIFICATION_FAILED_NO_MATCHING_KEY_FOUND, negative MDN", async () => {
    const r = await partner.sendInbound({
      url: as2Url,
      fileName: "forged.edi",
      payload: Buffer.from("x"),
      forgeSignature: true,
    });
    expect(r.mdn).toMatchObject({ status: "processed/error", modifier: "authentication-failed" });
    await emulator.idle();
    const failed = parseTransferEvent(events[0]);
    expect(failed).toMatchObject({
      detailType: "AS2 Payload Receive Failed",
      failureCode: "VERIFICATION_FAILED_NO_MATCHING_KEY_FOUND",
      statusCode: "FAILED",
    });
    expect(failed.file!.key).toBe(`_gateway/inbound/globex/failed/forged.${r.messageId}.edi`);
    expect(failed.requesterFileName).toBe("forged.edi");
  });

  it("refuses an unknown AS2 ID with AGREEMENT_NOT_FOUND", async () => {
    const stranger = new PartnerStandIn({
      as2Id: "NOBODY",
      signing: globexKeys,
      encryption: globexKeys,
      station: stationAsPartnerSees,
    });
    const r = await stranger.sendInbound({
      url: as2Url,
      fileName: "a.edi",
      payload: Buffer.from("x"),
      mdnSigning: "NONE",
    });
    expect(r.mdn).toMatchObject({ status: "processed/error", modifier: "unknown-trading-partner" });
    await emulator.idle();
    expect(parseTransferEvent(events[0])).toMatchObject({
      detailType: "AS2 Payload Receive Failed",
      failureCode: "AGREEMENT_NOT_FOUND",
      as2From: "NOBODY",
    });
  });
});
