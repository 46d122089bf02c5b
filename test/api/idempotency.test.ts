/**
 * Idempotency-Key on POST /v1/messages against dynalite (the key's item, its conditional writes)
 * and s3rver behind the wire proxy (what reaches the send folder): a retried send sends once,
 * concurrent duplicates send once, another body under the same key is refused, and a call that
 * failed half-way is finished by its retry without repeating what it did.
 */
import { DeleteObjectCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { GetItemCommand } from "@aws-sdk/client-dynamodb";
import { ApiHarness, BUCKET, TABLE } from "./harness";
import { idempotencyRecordId } from "../../model/api/ids";
import { sendPrefix } from "../../model/layout";

let h: ApiHarness;
beforeAll(async () => {
  h = await ApiHarness.start();
});
afterAll(async () => h.stop());
beforeEach(() => {
  h.wire.reset();
  h.wire.faults.length = 0;
});

const b64 = (s: string) => Buffer.from(s).toString("base64");
const PREFIX = sendPrefix({ station: "ACME", partner: "GLOBEX", test: false });

async function sendFolder(fileStem: string): Promise<string[]> {
  const r = await h.aws.s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `${PREFIX}${fileStem}` }));
  return (r.Contents ?? []).map((o) => o.Key!).sort();
}

const body = (fileName: string, text = "<Invoice/>") => ({
  station: "ACME",
  partner: "GLOBEX",
  files: [{ fileName, contentBase64: b64(text) }],
});

const post = (key: string | undefined, b: unknown) =>
  h.call({ method: "POST", path: "/v1/messages", body: b, ...(key ? { headers: { "idempotency-key": key } } : {}) });

it("a retry with the same key and body answers the first call and sends nothing more", async () => {
  const first = await post("key-retry", body("retry.xml"));
  expect(first.status).toBe(202);
  expect(first.headers["idempotent-replayed"]).toBeUndefined();
  const again = await post("key-retry", body("retry.xml"));
  expect(again).toMatchObject({ status: 202, body: first.body, headers: { "idempotent-replayed": "true" } });
  expect(await sendFolder("retry")).toEqual([`${PREFIX}retry.xml`]);
  // Without a key, the same body is a new send.
  expect((await post(undefined, body("retry.xml"))).status).toBe(202);
  expect(await sendFolder("retry")).toEqual([`${PREFIX}retry (1).xml`, `${PREFIX}retry.xml`]);
});

it("concurrent duplicates send exactly once; the others wait (409) or get the same answer", async () => {
  const answers = await Promise.all(Array.from({ length: 6 }, () => post("key-race", body("race.xml"))));
  const accepted = answers.filter((a) => a.status === 202);
  expect(answers.every((a) => a.status === 202 || a.status === 409)).toBe(true);
  expect(accepted.length).toBeGreaterThanOrEqual(1);
  expect(new Set(accepted.map((a) => JSON.stringify(a.body))).size).toBe(1);
  for (const a of answers.filter((x) => x.status === 409))
    expect(a).toMatchObject({ contentType: "application/problem+json", body: { code: "IDEMPOTENCY_KEY_IN_PROGRESS" } });
  expect(await sendFolder("race")).toEqual([`${PREFIX}race.xml`]);
  expect(h.wire.writesPerKey().get(`${PREFIX}race.xml`)).toBe(1);
  // Once the sender answered, every repeat gets its answer.
  const after = await post("key-race", body("race.xml"));
  expect(after.body).toEqual(accepted[0]!.body);
});

it("the same key with another body is refused with 422, and sends nothing", async () => {
  expect((await post("key-reused", body("first.xml"))).status).toBe(202);
  const r = await post("key-reused", body("first.xml", "<Other/>"));
  expect(r).toMatchObject({
    status: 422,
    contentType: "application/problem+json",
    body: { code: "IDEMPOTENCY_KEY_REUSED" },
  });
  expect(await sendFolder("first")).toEqual([`${PREFIX}first.xml`]);
});

it("a key is scoped to its caller and station, and remembered with a TTL", async () => {
  const a = await post("key-shared", body("scoped.xml"));
  const other = await h.call({
    method: "POST",
    path: "/v1/messages",
    body: { station: "ACME-EU", partner: "UMBRELLA", files: [{ fileName: "scoped.xml", contentBase64: b64("x") }] },
    headers: { "idempotency-key": "key-shared" },
  });
  expect(other.status).toBe(202);
  expect(other.body).not.toEqual(a.body);
  const item = await h.doc.send(
    new GetItemCommand({ TableName: TABLE, Key: { pk: { S: idempotencyRecordId("all", "ACME", "key-shared") } } }),
  );
  const expiresAt = Number(item.Item!.expiresAt!.N);
  expect(expiresAt - Date.now() / 1000).toBeGreaterThan(23 * 3600);
  expect(expiresAt - Date.now() / 1000).toBeLessThanOrEqual(24 * 3600);
});

it("refuses a malformed key", async () => {
  expect((await post("bad\u0001key", body("bad.xml"))).body).toMatchObject({ code: "BAD_IDEMPOTENCY_KEY" });
  expect(await sendFolder("bad")).toEqual([]);
});

it("a call that failed after writing the file is finished by its retry: the same object, not a second one", async () => {
  // The HEAD that follows the write fails: the file is in the send folder, the call answers 500.
  let heads = 0;
  h.wire.faults.push({
    when: (r) => r.op === "HeadObject" && r.key === `${PREFIX}crash.xml` && ++heads === 2,
    status: 403,
    code: "AccessDenied",
  });
  expect((await post("key-crash", body("crash.xml"))).status).toBe(500);
  expect(await sendFolder("crash")).toEqual([`${PREFIX}crash.xml`]);
  const retry = await post("key-crash", body("crash.xml"));
  expect(retry.status).toBe(202);
  expect(await sendFolder("crash")).toEqual([`${PREFIX}crash.xml`]);
  expect(h.wire.writesPerKey().get(`${PREFIX}crash.xml`)).toBe(1);
});

it("a retry does not send again a file the failed call had queued, even once the pipeline took it", async () => {
  const two = {
    station: "ACME",
    partner: "GLOBEX",
    files: [
      { fileName: "part-a.xml", contentBase64: b64("a") },
      { fileName: "part-b.xml", contentBase64: b64("b") },
    ],
  };
  h.wire.faults.push({
    when: (r) => r.op === "PutObject" && r.key.startsWith(`${PREFIX}part-b`),
    status: 403,
    code: "AccessDenied",
  });
  expect((await post("key-half", two)).status).toBe(500);
  expect(await sendFolder("part")).toEqual([`${PREFIX}part-a.xml`]);
  // The send pipeline moves the first file away before the client retries.
  await h.aws.s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: `${PREFIX}part-a.xml` }));
  const retry = await post("key-half", two);
  expect(retry.status).toBe(202);
  expect(await sendFolder("part")).toEqual([`${PREFIX}part-b.xml`]);
  expect((retry.body.messages as { fileName: string; state: string }[]).map((m) => m.fileName)).toEqual([
    "part-a.xml",
    "part-b.xml",
  ]);
});
