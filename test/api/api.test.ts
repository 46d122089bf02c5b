/**
 * Contract test of the REST API Lambda on s3rver (behind the wire proxy) and dynalite: every
 * operation, each answer validated against templates/openapi.json (harness.ts), the S3 writes
 * checked on the wire (If-None-Match), and the refusals as problem+json.
 */
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand } from "@aws-sdk/client-s3";
import { ApiHarness, BUCKET, FULL, TABLE, type Auth } from "./harness";
import { writeTransition } from "../../handlers/api/index-writer";
import { inboundMessageId } from "../../model/api/ids";
import { API_LIMITS } from "../../model/api/limits";
import { folderPrefix, mdnKey, recordKey, sendPrefix } from "../../model/layout";

let h: ApiHarness;
beforeAll(async () => {
  h = await ApiHarness.start();
});
afterAll(async () => h.stop());

const b64 = (s: string) => Buffer.from(s).toString("base64");
const reader: Auth = { kind: "jwt", clientId: "reader", scopes: ["as2-gateway/read"] };
const euOnly: Auth = { kind: "jwt", clientId: "eu-only", scopes: FULL.kind === "jwt" ? FULL.scopes : [] };

async function text(key: string): Promise<string> {
  const r = await h.aws.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return r.Body!.transformToString();
}

async function keysUnder(prefix: string): Promise<string[]> {
  const r = await h.aws.s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }));
  return (r.Contents ?? []).map((o) => o.Key!);
}

/** A received message as the receive path leaves it: payload, MDN and record in inbox/, and its index record. */
async function received(
  n: number,
  station = "ACME",
  partner = "GLOBEX",
  at = new Date(Date.UTC(2026, 10, 1, 0, 0, n)),
) {
  const id = inboundMessageId(`a-${partner.toLowerCase()}`, `<m${n}@${partner}>`);
  const key = `${folderPrefix("mftgateway", { station, partner, test: false }, "inbox")}m${n}/order-${n}.edi`;
  for (const k of [key, mdnKey(key), recordKey(key)])
    await h.aws.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: k, Body: `content of ${k}` }));
  await writeTransition(
    {
      id,
      direction: "inbound",
      station,
      partner,
      test: false,
      state: "received",
      at: at.toISOString(),
      as2MessageId: `<m${n}@${partner}>`,
      files: [{ fileName: `order-${n}.edi`, size: 10, key }],
      mdn: { key: mdnKey(key), status: "sent", disposition: "processed" },
      recordKey: recordKey(key),
    },
    { client: h.doc, table: TABLE },
  );
  return { id, key };
}

describe("send", () => {
  it("an inline file goes into the partner's send folder, never over an existing one, and is queued", async () => {
    h.wire.reset();
    await h.aws.s3.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: `${sendPrefix({ station: "ACME", partner: "GLOBEX", test: false })}invoice.xml`,
        Body: "user's own",
      }),
    );
    const r = await h.call({
      method: "POST",
      path: "/v1/messages",
      body: {
        station: "ACME",
        partner: "GLOBEX",
        files: [{ fileName: "invoice.xml", contentBase64: b64("<Invoice/>") }],
      },
    });
    expect(r.status).toBe(202);
    const [m] = r.body.messages as { id: string; state: string }[];
    expect(m!.state).toBe("queued");
    const prefix = sendPrefix({ station: "ACME", partner: "GLOBEX", test: false });
    expect(await text(`${prefix}invoice.xml`)).toBe("user's own");
    expect(await text(`${prefix}invoice (1).xml`)).toBe("<Invoice/>");
    const puts = h.wire.requests.filter((q) => q.op === "PutObject");
    expect(puts.every((q) => q.ifNoneMatch === "*")).toBe(true);
    const got = await h.call({ method: "GET", path: `/v1/messages/${m!.id}` });
    expect(got.body).toMatchObject({
      id: m!.id,
      direction: "outbound",
      state: "queued",
      files: [{ fileName: "invoice.xml", size: 10 }],
    });
  });

  it("a name taken between the check and the write (412) moves on to the next name", async () => {
    h.wire.faults.push({
      when: (q) => q.op === "PutObject" && q.key.endsWith("race.txt"),
      status: 412,
      code: "PreconditionFailed",
    });
    const r = await h.call({
      method: "POST",
      path: "/v1/messages",
      body: { station: "ACME", partner: "GLOBEX", files: [{ fileName: "race.txt", contentBase64: b64("x") }] },
    });
    expect(r.status).toBe(202);
    expect(await keysUnder(`${sendPrefix({ station: "ACME", partner: "GLOBEX", test: false })}race`)).toEqual([
      `${sendPrefix({ station: "ACME", partner: "GLOBEX", test: false })}race (1).txt`,
    ]);
  });

  it("a large file is uploaded by presigned URL and committed once, however often the commit is repeated", async () => {
    const content = "a large catalogue";
    const r = await h.call({
      method: "POST",
      path: "/v1/messages",
      body: { station: "ACME", partner: "INITECH", files: [{ fileName: "catalogue.zip", size: content.length }] },
    });
    const [m] = r.body.messages as { uploadId: string; state: string; upload: { url: string } }[];
    expect(m!.state).toBe("awaiting-upload");
    const early = await h.call({ method: "POST", path: `/v1/uploads/${m!.uploadId}/commit` });
    expect(early).toMatchObject({ status: 409, body: { code: "NOT_UPLOADED" } });
    const put = await fetch(m!.upload.url, { method: "PUT", body: content });
    expect(put.status).toBe(200);
    const first = await h.call({ method: "POST", path: `/v1/uploads/${m!.uploadId}/commit` });
    expect(first.status).toBe(202);
    const again = await h.call({ method: "POST", path: `/v1/uploads/${m!.uploadId}/commit` });
    expect(again.body.id).toBe(first.body.id);
    const sent = await keysUnder(sendPrefix({ station: "ACME", partner: "INITECH", test: false }));
    expect(sent).toEqual([`${sendPrefix({ station: "ACME", partner: "INITECH", test: false })}catalogue.zip`]);
    expect(await text(sent[0]!)).toBe(content);
  });

  it("refuses unknown stations and partners, disabled partners, malformed and oversize bodies with problem+json", async () => {
    const send = (body: unknown, extra: { rawBody?: string; contentType?: string } = {}) =>
      h.call({ method: "POST", path: "/v1/messages", body, ...extra });
    const file = [{ fileName: "a.txt", contentBase64: b64("a") }];
    expect((await send({ station: "NOPE", partner: "GLOBEX", files: file })).body).toMatchObject({
      status: 422,
      code: "UNKNOWN_STATION",
    });
    const partner = await send({ station: "ACME", partner: "UMBRELLA", files: file });
    expect(partner.body).toMatchObject({ status: 422, code: "UNKNOWN_PARTNER" });
    expect(String(partner.body.detail)).toContain("'GLOBEX'");
    expect((await send({ station: "ACME", partner: "OFF", files: file })).body).toMatchObject({
      code: "PARTNER_DISABLED",
    });
    expect((await send(undefined, { rawBody: "{not json" })).body).toMatchObject({
      status: 400,
      code: "MALFORMED_JSON",
    });
    expect(
      (await send({ station: "ACME", partner: "GLOBEX", files: file }, { contentType: "text/plain" })).status,
    ).toBe(415);
    const invalid = await send({
      station: "ACME",
      partner: "GLOBEX",
      files: [{ fileName: "a/b", size: 1 }],
      extra: true,
    });
    expect(invalid.body).toMatchObject({ status: 400, code: "INVALID_BODY" });
    expect((invalid.body.errors as { path: string }[]).map((e) => e.path).sort()).toEqual([
      "extra",
      "files[0].fileName",
    ]);
    expect((await send({ station: "ACME", partner: "GLOBEX", files: [{ fileName: "a" }] })).body).toMatchObject({
      code: "CONTENT_OR_SIZE",
    });
    const huge = "A".repeat(API_LIMITS.bodyBytes + 1);
    expect((await send(undefined, { rawBody: huge })).body).toMatchObject({ status: 413, code: "BODY_TOO_LARGE" });
  });
});

describe("inbox", () => {
  it("a received message lists as unread, is marked read, downloads by URL and is deleted", async () => {
    const { id, key } = await received(1);
    const unread = await h.call({ method: "GET", path: "/v1/inbox", query: { unread: "true" } });
    expect((unread.body.items as { id: string }[]).map((i) => i.id)).toContain(id);
    const read = await h.call({ method: "PATCH", path: `/v1/messages/${id}`, body: { read: true } });
    expect(read.body).toMatchObject({ state: "read", read: true });
    const after = await h.call({ method: "GET", path: "/v1/inbox", query: { unread: "true" } });
    expect((after.body.items as { id: string }[]).map((i) => i.id)).not.toContain(id);
    const files = await h.call({ method: "GET", path: `/v1/messages/${id}/files` });
    const [f] = files.body.items as { url: string }[];
    expect(await (await fetch(f!.url)).text()).toBe(`content of ${key}`);
    const mdn = await h.call({ method: "GET", path: `/v1/messages/${id}/mdn` });
    expect(await (await fetch(String(mdn.body.url))).text()).toBe(`content of ${mdnKey(key)}`);
    const del = await h.call({ method: "DELETE", path: `/v1/messages/${id}` });
    expect(del.body).toMatchObject({ state: "deleted" });
    await expect(h.aws.s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }))).rejects.toMatchObject({
      name: "NotFound",
    });
    expect((await h.call({ method: "GET", path: `/v1/messages/${id}/files` })).body).toMatchObject({ code: "DELETED" });
    const listed = await h.call({ method: "GET", path: "/v1/inbox", query: { state: "deleted" } });
    expect((listed.body.items as { id: string }[]).map((i) => i.id)).toContain(id);
    // Repeating the delete changes nothing and answers the same.
    expect((await h.call({ method: "DELETE", path: `/v1/messages/${id}` })).status).toBe(200);
  });

  it("bulk delete answers per id: deleted, unknown, in progress, another station's", async () => {
    const a = await received(2);
    const eu = await received(3, "ACME-EU", "UMBRELLA");
    const queued = await h.call({
      method: "POST",
      path: "/v1/messages",
      body: { station: "ACME", partner: "GLOBEX", files: [{ fileName: "q.txt", contentBase64: b64("q") }] },
    });
    const qid = (queued.body.messages as { id: string }[])[0]!.id;
    const r = await h.call({
      method: "POST",
      path: "/v1/messages/bulk-delete",
      body: { ids: [a.id, "i-000000000000000000000000", qid, eu.id] },
      auth: { kind: "jwt", clientId: "all", scopes: ["as2-gateway/delete"] },
    });
    expect((r.body.results as { status: number }[]).map((x) => x.status)).toEqual([200, 404, 409, 200]);
    const restricted = await h.call({
      method: "POST",
      path: "/v1/messages/bulk-delete",
      body: { ids: [a.id] },
      auth: euOnly,
    });
    expect((restricted.body.results as { status: number }[])[0]!.status).toBe(404);
    expect(
      (await h.call({ method: "POST", path: "/v1/messages/bulk-delete", body: { ids: Array(101).fill(a.id) } })).status,
    ).toBe(400);
  });

  it("pages through 250 messages without loss or repetition, newest first, with filters", async () => {
    for (let n = 1000; n < 1250; n++)
      await received(n, "ACME", n % 2 ? "GLOBEX" : "INITECH", new Date(Date.UTC(2026, 10, 2, 0, 0, 0, n)));
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const r = await h.call({
        method: "GET",
        path: "/v1/inbox",
        query: { station: "ACME", from: "2026-11-02T00:00:00Z", limit: "100", ...(cursor ? { cursor } : {}) },
      });
      const items = r.body.items as { id: string; createdAt: string }[];
      seen.push(...items.map((i) => i.id));
      expect(items.map((i) => i.createdAt)).toEqual([...items.map((i) => i.createdAt)].sort().reverse());
      cursor = r.body.nextCursor as string | undefined;
      pages++;
    } while (cursor);
    expect(seen).toHaveLength(250);
    expect(new Set(seen).size).toBe(250);
    expect(pages).toBeGreaterThanOrEqual(3);
    const globex = await h.call({
      method: "GET",
      path: "/v1/inbox",
      query: { station: "ACME", partner: "GLOBEX", from: "2026-11-02T00:00:00Z", limit: "100" },
    });
    expect((globex.body.items as unknown[]).length).toBe(100);
    expect((globex.body.items as { partner: string }[]).every((i) => i.partner === "GLOBEX")).toBe(true);
    const bad = await h.call({
      method: "GET",
      path: "/v1/inbox",
      query: { station: "ACME", cursor: String(globex.body.nextCursor) },
    });
    expect(bad.body).toMatchObject({ code: "BAD_CURSOR" });
    expect((await h.call({ method: "GET", path: "/v1/inbox", query: { state: "lost" } })).body).toMatchObject({
      code: "BAD_QUERY",
    });
  });
});

describe("resend", () => {
  it("a failed outbound message is resent as a new message linked to it; anything else is refused", async () => {
    const route = { station: "ACME", partner: "GLOBEX", test: false };
    const failedKey = `${folderPrefix("mftgateway", route, "failed")}20261101T000000000Z/po.xml`;
    await h.aws.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: failedKey, Body: "<PO/>" }));
    const oldId = "o-0000000000000000000000f1";
    await writeTransition(
      {
        id: oldId,
        direction: "outbound",
        ...route,
        state: "failed",
        at: "2026-11-01T00:00:00.000Z",
        failureCode: "HTTP_500",
        failureReason: "partner down",
        files: [{ fileName: "po.xml", size: 5, key: failedKey }],
      },
      { client: h.doc, table: TABLE },
    );
    const r = await h.call({ method: "POST", path: `/v1/messages/${oldId}/resend` });
    expect(r.status).toBe(202);
    expect(r.body).toMatchObject({ state: "queued", resendOf: oldId });
    expect(await text(`${sendPrefix(route)}po.xml`)).toBe("<PO/>");
    expect(await text(failedKey)).toBe("<PO/>");
    expect((await h.call({ method: "GET", path: `/v1/messages/${oldId}` })).body).toMatchObject({
      resentAs: r.body.id,
      failure: { code: "HTTP_500" },
    });
    // Repeated: the same new message, no second copy.
    expect((await h.call({ method: "POST", path: `/v1/messages/${oldId}/resend` })).body.id).toBe(r.body.id);
    expect(await keysUnder(`${sendPrefix(route)}po`)).toHaveLength(1);
    const inbound = await received(4);
    expect((await h.call({ method: "POST", path: `/v1/messages/${inbound.id}/resend` })).body).toMatchObject({
      status: 409,
      code: "NOT_FAILED",
    });
  });
});

describe("auth", () => {
  it("refuses unauthenticated calls, missing scopes, undeclared clients and other stations", async () => {
    expect((await h.call({ method: "GET", path: "/v1/inbox", auth: { kind: "none" } })).body).toMatchObject({
      status: 401,
      code: "NOT_AUTHENTICATED",
    });
    const send = { station: "ACME", partner: "GLOBEX", files: [{ fileName: "a.txt", contentBase64: b64("a") }] };
    expect((await h.call({ method: "POST", path: "/v1/messages", body: send, auth: reader })).body).toMatchObject({
      status: 403,
      code: "MISSING_SCOPE",
    });
    expect(
      (
        await h.call({
          method: "GET",
          path: "/v1/inbox",
          auth: { kind: "jwt", clientId: "stranger", scopes: ["as2-gateway/read"] },
        })
      ).body,
    ).toMatchObject({ status: 403, code: "UNKNOWN_CLIENT" });
    // No IAM client is declared here: IAM policies (execute-api:Invoke per route) decide alone.
    expect(
      (
        await h.call({
          method: "GET",
          path: "/v1/inbox",
          auth: { kind: "iam", arn: "arn:aws:iam::123456789012:user/x" },
        })
      ).status,
    ).toBe(200);
    expect((await h.call({ method: "POST", path: "/v1/messages", body: send, auth: euOnly })).body).toMatchObject({
      status: 403,
      code: "STATION_NOT_ALLOWED",
    });
    expect((await h.call({ method: "GET", path: "/v1/inbox", query: { station: "ACME" }, auth: euOnly })).status).toBe(
      403,
    );
    const mine = await h.call({ method: "GET", path: "/v1/inbox", query: { limit: "100" }, auth: euOnly });
    expect((mine.body.items as { station: string }[]).every((i) => i.station === "ACME-EU")).toBe(true);
    const { id } = await received(5);
    expect((await h.call({ method: "GET", path: `/v1/messages/${id}`, auth: euOnly })).status).toBe(404);
  });
});
