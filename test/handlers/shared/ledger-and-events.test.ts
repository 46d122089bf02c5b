import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { startLocalAws, type LocalAws } from "../../helpers/local-servers";
import { putIfAbsent, getItem, updateItem, expiresIn } from "../../../handlers/shared/ledger";
import { parseTransferEvent, readStatusFile, NotATransferEvent } from "../../../handlers/shared/transfer-events";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { loadRouting, forgetRouting } from "../../../handlers/shared/routing-loader";
import { buildRoutingDocument } from "../../../model/routing";
import { inboundWorkPrefix } from "../../../model/layout";
import { validateCustomer } from "../../../model/load";
import { customerInput } from "../../helpers/customer-factory";

const FIXTURES = join(__dirname, "..", "..", "fixtures", "aws-transfer");
const TABLE = "state";
let aws: LocalAws;

beforeAll(async () => {
  aws = await startLocalAws();
  await aws.createStateTable(TABLE);
  await aws.createBucket("routing");
  process.env.STATE_TABLE = TABLE;
});
afterAll(() => aws.stop());

describe("ledger on dynalite", () => {
  it("putIfAbsent lets exactly one of many concurrent writers win", async () => {
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => putIfAbsent({ pk: "CLAIM#x", by: i, expiresAt: expiresIn(7) })),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
    const item = await getItem("CLAIM#x");
    expect(item?.by).toBe(results.indexOf(true));
  });

  it("updateItem applies a transition only from the expected state", async () => {
    await putIfAbsent({ pk: "MSG#1", state: "claimed" });
    expect(await updateItem("MSG#1", { state: "sent" }, { field: "state", equals: "claimed" })).toBe(true);
    expect(await updateItem("MSG#1", { state: "sent" }, { field: "state", equals: "claimed" })).toBe(false);
    expect(await updateItem("MSG#1", { state: "done" }, { field: "state", equals: "sent" })).toBe(true);
    expect(await updateItem("MSG#missing", { state: "x" })).toBe(false);
    expect((await getItem("MSG#1"))?.state).toBe("done");
  });
});

describe("Transfer events", () => {
  const fixtures = readdirSync(FIXTURES).filter((f) => f.endsWith(".json") && !f.includes("status-"));

  it.each(fixtures)("parses %s", (f) => {
    const raw = JSON.parse(readFileSync(join(FIXTURES, f), "utf8"));
    const e = parseTransferEvent(raw);
    expect(e.detailType).toBe(raw["detail-type"]);
    expect(e.as2MessageId).toBe(raw.detail["as2-message-id"]);
    if (raw.detail["s3-attributes"]?.["file-key"])
      expect(`/${e.file?.key}`).toBe(raw.detail["s3-attributes"]["file-key"]);
    expect(e.file?.key?.startsWith("/")).not.toBe(true);
  });

  it("tolerates missing and odd fields", () => {
    const e = parseTransferEvent({
      source: "aws.transfer",
      "detail-type": "AS2 Payload Send Failed",
      detail: { bytes: "12", "s3-attributes": "nonsense", "failure-code": null },
    });
    expect(e).toEqual({ detailType: "AS2 Payload Send Failed", bytes: 12 });
    expect(parseTransferEvent({ source: "aws.transfer", "detail-type": "AS2 MDN Send Failed" }).detailType).toBe(
      "AS2 MDN Send Failed",
    );
  });

  it("rejects events that are not AS2 events from Transfer", () => {
    expect(() => parseTransferEvent({ source: "aws.s3", "detail-type": "Object Created" })).toThrow(NotATransferEvent);
    expect(() =>
      parseTransferEvent({ source: "aws.transfer", "detail-type": "SFTP Server File Upload Completed" }),
    ).toThrow(NotATransferEvent);
  });

  it("reads status files whatever the spelling of the subject", () => {
    const ok = readStatusFile(
      JSON.parse(readFileSync(join(FIXTURES, "docs-verbatim_status-outbound-success.json"), "utf8")),
    );
    expect(ok.subject).toBe("File xyzTest from MyCompany_OID to partner YourCompany");
    expect(ok.transferSize).toBe(3198);
    const failed = readStatusFile(
      JSON.parse(readFileSync(join(FIXTURES, "docs-verbatim_status-outbound-failed.json"), "utf8")),
    );
    expect(failed.failureCode).toBe("HTTP_ERROR_RESPONSE_FROM_PARTNER");
    expect(readStatusFile("not an object")).toEqual({ raw: {} });
  });
});

describe("routing document loading", () => {
  it("reads, validates and indexes the document the stack writes", async () => {
    const customer = validateCustomer(customerInput(), "<test>");
    const doc = buildRoutingDocument(
      customer,
      "routing",
      [{ station: "ACME", partner: "PARTNER", connectorId: "c-1", agreementId: "a-1" }],
      inboundWorkPrefix,
    );
    await aws.s3.send(
      new PutObjectCommand({ Bucket: "routing", Key: "_gateway/config/routing.json", Body: JSON.stringify(doc) }),
    );
    Object.assign(process.env, {
      ROUTING_BUCKET: "routing",
      ROUTING_KEY: "_gateway/config/routing.json",
      ROUTING_ETAG: "1",
    });
    forgetRouting();
    const routing = await loadRouting(aws.s3);
    expect(routing.partner("ACME", "PARTNER")?.connectorId).toBe("c-1");
    expect(routing.byAgreementId("a-1")?.partner).toBe("PARTNER");
    expect(routing.byConnectorId("c-1")?.inboundPrefix).toBe(
      inboundWorkPrefix({ station: "ACME", partner: "PARTNER" }),
    );
    expect(routing.partner("ACME", "NOPE")).toBeUndefined();
  });

  it("says clearly when the document is missing", async () => {
    Object.assign(process.env, {
      ROUTING_BUCKET: "routing",
      ROUTING_KEY: "_gateway/config/none.json",
      ROUTING_ETAG: "2",
    });
    forgetRouting();
    await expect(loadRouting(aws.s3)).rejects.toThrow(
      /routing document s3:\/\/routing\/_gateway\/config\/none.json is missing/,
    );
  });
});
