/**
 * Where the emulated AS2 server lands received messages, as AWS documents the agreement settings
 * (AWS::Transfer::Agreement, compared 2026-12-01): `CustomDirectories` (payload, failed, status, MDN,
 * temporary) and `PreserveFilename`. Real AS2 from a partner stand-in, against a local S3 server.
 */
import { GetObjectCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { startLocalAws } from "../helpers/local-servers";
import type { LocalAws } from "../helpers/local-servers";
import { FAILURE_CODES, generateKeyPair } from "../../sandbox/as2";
import { TransferEmulator, inboundLanding } from "../../sandbox/transfer-emulator";
import type { Agreement, TransferEventEnvelope } from "../../sandbox/transfer-emulator";
import { PartnerStandIn } from "../../sandbox/partner/partner";
import { AWS_FAILURE_CODES } from "../../handlers/send/failure-classes";
import { parseTransferEvent } from "../../handlers/shared/transfer-events";

const BUCKET = "landing-test";
const station = { as2Id: "ACME-AS2", signing: generateKeyPair({ commonName: "ACME" }) };
const local = { ...station, encryption: station.signing };
const stationSeen = {
  as2Id: station.as2Id,
  signingCertificates: [station.signing.certificatePem],
  encryptionCertificate: station.signing.certificatePem,
};
const dirs = (slug: string) => ({
  payload: `/${BUCKET}/_gateway/inbound/${slug}/processed`,
  status: `/${BUCKET}/_gateway/inbound/${slug}/processed`,
  mdn: `/${BUCKET}/_gateway/inbound/${slug}/processed`,
  failed: `/${BUCKET}/_gateway/inbound/${slug}/failed`,
  temporary: `/${BUCKET}/_gateway/inbound/${slug}/temporary`,
});

let aws: LocalAws;
let emulator: TransferEmulator;
let as2Url: string;
const partners: Record<string, PartnerStandIn> = {};
const events: TransferEventEnvelope[] = [];

async function keysUnder(prefix: string): Promise<string[]> {
  const r = await aws.s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }));
  return (r.Contents ?? []).map((c) => c.Key!).sort();
}
async function text(key: string): Promise<string> {
  return (await aws.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))).Body!.transformToString();
}

beforeAll(async () => {
  aws = await startLocalAws();
  await aws.createBucket(BUCKET);
  const agreements: Agreement[] = [];
  for (const [as2Id, preserveFilename] of [
    ["UNIQUE", false],
    ["PRESERVE", true],
  ] as const) {
    const keys = generateKeyPair({ commonName: as2Id });
    partners[as2Id] = new PartnerStandIn({ as2Id, signing: keys, encryption: keys, station: stationSeen });
    agreements.push({
      agreementId: `a-${as2Id.toLowerCase()}`,
      local,
      partner: { as2Id, signingCertificates: [keys.certificatePem], encryptionCertificate: keys.certificatePem },
      customDirectories: dirs(as2Id.toLowerCase()),
      preserveFilename,
    });
  }
  emulator = new TransferEmulator({ s3: aws.s3, emit: (e) => void events.push(e), connectors: [], agreements });
  as2Url = (await emulator.start()).as2Url;
});

afterAll(async () => {
  await emulator.stop();
  await aws.stop();
});

beforeEach(() => {
  events.length = 0;
});

async function sendTwice(as2Id: string, fileName: string): Promise<string[]> {
  const ids: string[] = [];
  for (const body of ["FIRST", "SECOND"]) {
    const r = await partners[as2Id]!.sendInbound({ url: as2Url, fileName, payload: Buffer.from(body) });
    expect(r.mdn?.status).toBe("processed");
    ids.push(r.messageId);
  }
  await emulator.idle();
  return ids;
}

describe("the emulator's failure codes", () => {
  it.each(FAILURE_CODES)("%s is in AWS's documented table", (code) => {
    expect(AWS_FAILURE_CODES[code]).toBeDefined();
  });
});

describe("CustomDirectories", () => {
  it("puts payload, status and MDN where the agreement says, and the events name them", async () => {
    const [id] = await sendTwice("UNIQUE", "order.edi");
    const file = `_gateway/inbound/unique/processed/order.${id}.edi`;
    const completed = parseTransferEvent(events.find((e) => e["detail-type"] === "AS2 Payload Receive Completed"));
    expect(completed).toMatchObject({ file: { key: file }, json: { key: `${file}.json` } });
    const mdnSent = parseTransferEvent(events.find((e) => e["detail-type"] === "AS2 MDN Send Completed"));
    expect(mdnSent.mdn).toMatchObject({ bucket: BUCKET, key: `${file}.mdn` });
    expect(JSON.parse(await text(`${file}.json`))).toMatchObject({ "file-path": `/${BUCKET}/${file}` });
  });

  it("sends failed payloads to the failed directory and their status to the status directory", () => {
    const c = dirs("x");
    const landing = inboundLanding(
      { customDirectories: { ...c, status: `/${BUCKET}/st`, mdn: `/${BUCKET}/md` } },
      "failed",
      "a.edi",
      "m@x",
      false,
    );
    expect(landing).toMatchObject({
      file: { bucket: BUCKET, key: "_gateway/inbound/x/failed/a.m@x.edi" },
      json: { bucket: BUCKET, key: "st/a.m@x.edi.json" },
      mdn: { bucket: BUCKET, key: "md/a.m@x.edi.mdn" },
    });
  });
});

describe("PreserveFilename", () => {
  it("DISABLED (the default): two messages with the same name land under two names", async () => {
    const ids = await sendTwice("UNIQUE", "invoice.edi");
    const keys = await keysUnder("_gateway/inbound/unique/processed/invoice.");
    const payloads = keys.filter((k) => !k.endsWith(".json") && !k.endsWith(".mdn"));
    expect(payloads).toEqual(ids.map((id) => `_gateway/inbound/unique/processed/invoice.${id}.edi`).sort());
    expect(await Promise.all(ids.map((id) => text(`_gateway/inbound/unique/processed/invoice.${id}.edi`)))).toEqual([
      "FIRST",
      "SECOND",
    ]);
  });

  it("ENABLED: the partner's name is kept, so the second message overwrites the first at the landing", async () => {
    await sendTwice("PRESERVE", "invoice.edi");
    expect(await keysUnder("_gateway/inbound/preserve/processed/")).toEqual([
      "_gateway/inbound/preserve/processed/invoice.edi",
      "_gateway/inbound/preserve/processed/invoice.edi.json",
      "_gateway/inbound/preserve/processed/invoice.edi.mdn",
    ]);
    expect(await text("_gateway/inbound/preserve/processed/invoice.edi")).toBe("SECOND");
    const received = events.filter((e) => e["detail-type"] === "AS2 Payload Receive Completed");
    expect(received.map((e) => parseTransferEvent(e).requesterFileName)).toEqual(["invoice.edi", "invoice.edi"]);
  });
});
