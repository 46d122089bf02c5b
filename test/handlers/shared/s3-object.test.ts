import {
  PutObjectCommand,
  GetObjectCommand,
  CopyObjectCommand,
  DeleteObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { mockClient } from "aws-sdk-client-mock";
import { startLocalAws, type LocalAws } from "../../helpers/local-servers";
import { startS3Wire } from "../../reliability/s3-wire";
import {
  safeMove,
  copyIsSource,
  headObject,
  resolveEventKey,
  copySource,
  decodeEventKey,
  MoveError,
  copyMatches,
  putJson,
  getJson,
} from "../../../handlers/shared/s3-object";

const BUCKET = "plumbing";
let aws: LocalAws;

beforeAll(async () => {
  aws = await startLocalAws();
  await aws.createBucket(BUCKET);
});
afterAll(() => aws.stop());

async function put(key: string, body: string) {
  await aws.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
  return (await headObject(aws.s3, BUCKET, key))!;
}
async function read(key: string) {
  const r = await aws.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return r.Body!.transformToString();
}

describe("keys from events", () => {
  it("decodes S3 notification keys ('+' is a space) and leaves undecodable ones alone", () => {
    expect(decodeEventKey("AS2/send/ST/P/a+b%2Bc%25.xml")).toBe("AS2/send/ST/P/a b+c%.xml");
    expect(decodeEventKey("AS2/send/%E6%97%A5.xml")).toBe("AS2/send/日.xml");
    expect(decodeEventKey("100%.xml")).toBe("100%.xml");
  });

  it.each(["a b.xml", "a+b.xml", "50%.xml", "<id@x>.edi", "日本 語.txt"])(
    "finds %j whether the event key is encoded or raw",
    async (name) => {
      const key = `AS2/send/ST/P/${name}`;
      const o = await put(key, `content of ${name}`);
      const encoded = key
        .split("/")
        .map((s) => encodeURIComponent(s).replace(/%20/g, "+"))
        .join("/");
      expect((await resolveEventKey(aws.s3, BUCKET, encoded, o.etag.replace(/"/g, "")))?.key).toBe(key);
      expect((await resolveEventKey(aws.s3, BUCKET, key, o.etag))?.key).toBe(key);
    },
  );

  it("with both 'a b' and 'a+b' present, the event's ETag picks the right one", async () => {
    const space = await put("AS2/send/ST/Q/a b.xml", "space");
    const plus = await put("AS2/send/ST/Q/a+b.xml", "plus");
    expect((await resolveEventKey(aws.s3, BUCKET, "AS2/send/ST/Q/a+b.xml", plus.etag))?.key).toBe(
      "AS2/send/ST/Q/a+b.xml",
    );
    expect((await resolveEventKey(aws.s3, BUCKET, "AS2/send/ST/Q/a+b.xml", space.etag))?.key).toBe(
      "AS2/send/ST/Q/a b.xml",
    );
    expect(await resolveEventKey(aws.s3, BUCKET, "AS2/send/ST/Q/none.xml")).toBeUndefined();
  });

  it("encodes each key segment of a copy source", () => {
    expect(copySource("b", "AS2/send/a b/+%/x.xml")).toBe("b/AS2/send/a%20b/%2B%25/x.xml");
    expect(copySource("b", "k", "v 1")).toBe("b/k?versionId=v%201");
  });
});

describe("safeMove against a real S3 API", () => {
  it.each(["plain.xml", "with space.xml", "uni-é日.xml", "at@sign<>.edi", "pct%20.txt", "a+b=c&d;e,f$.txt"])(
    "moves %j server-side and deletes the source only after the copy",
    async (name) => {
      const src = await put(`in/${name}`, `payload of ${name}`);
      const r = await safeMove(aws.s3, BUCKET, src, `out/${name}`);
      expect(r.moved).toBe(true);
      expect(await read(`out/${name}`)).toBe(`payload of ${name}`);
      expect(await headObject(aws.s3, BUCKET, `in/${name}`)).toBeUndefined();
    },
  );

  it("is idempotent: a retry after the source is gone finds the copy and does nothing", async () => {
    const src = await put("in/retry.xml", "once");
    await safeMove(aws.s3, BUCKET, src, "out/retry.xml");
    const again = await safeMove(aws.s3, BUCKET, src, "out/retry.xml");
    expect(again.moved).toBe(false);
    expect(await read("out/retry.xml")).toBe("once");
  });

  it("refuses to move a source that changed since it was seen, and keeps it", async () => {
    // s3rver ignores x-amz-copy-source-if-match: the wire proxy answers for S3 (412).
    const wire = await startS3Wire(aws.s3Endpoint);
    const viaWire = new S3Client({
      region: "eu-west-1",
      endpoint: wire.endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
    });
    try {
      const src = await put("in/changed.xml", "v1");
      await put("in/changed.xml", "v2 is longer");
      await expect(safeMove(viaWire, BUCKET, src, "out/changed.xml")).rejects.toMatchObject({
        reason: "source-changed",
      });
      expect(wire.requests.find((r) => r.op === "CopyObject")).toMatchObject({
        copySourceIfMatch: src.etag,
        status: 412,
      });
      expect(await read("in/changed.xml")).toBe("v2 is longer");
      expect(await headObject(aws.s3, BUCKET, "out/changed.xml")).toBeUndefined();
    } finally {
      viaWire.destroy();
      await wire.close();
    }
  });

  it("a copy that CopyObject reports as another version or ETag is not the source", () => {
    const src = { key: "a", etag: '"1"', size: 3 };
    expect(copyIsSource(src, { etag: '"1"' })).toBe(true);
    expect(copyIsSource(src, { etag: '"2"' })).toBe(false);
    expect(copyIsSource({ ...src, versionId: "v1" }, { etag: '"1"', sourceVersionId: "v2" })).toBe(false);
    expect(copyIsSource({ ...src, checksum: "c1" }, { etag: '"1"', checksum: "c2" })).toBe(false);
    // SSE-KMS ETags and a multipart source's ETag are no digest of the bytes: the copy's condition was the check.
    expect(copyIsSource(src, { etag: '"2"', sse: "aws:kms" })).toBe(true);
    expect(copyIsSource({ ...src, etag: '"abc-3"' }, { etag: '"def"' })).toBe(true);
  });

  it("fails clearly when the source is missing and no copy exists", async () => {
    await expect(safeMove(aws.s3, BUCKET, { key: "in/nothing", etag: '"x"', size: 1 }, "out/nothing")).rejects.toThrow(
      MoveError,
    );
  });

  it("round-trips JSON records", async () => {
    await putJson(aws.s3, BUCKET, "rec/a.json", { a: 1, s: "é" });
    expect(await getJson(aws.s3, BUCKET, "rec/a.json")).toEqual({ a: 1, s: "é" });
    expect(await getJson(aws.s3, BUCKET, "rec/none.json")).toBeUndefined();
  });
});

describe("safeMove conditional paths (fault injection: the local S3 servers ignore If-Match)", () => {
  const src = { key: "in/x.xml", etag: '"e1"', size: 3 };

  it("a 412 on the copy means the source changed: nothing is deleted", async () => {
    const s3 = mockClient(S3Client);
    s3.onAnyCommand().callsFake((input) => {
      if ("CopySource" in input)
        throw Object.assign(new Error("At least one of the pre-conditions you specified did not hold"), {
          name: "PreconditionFailed",
          $metadata: { httpStatusCode: 412 },
        });
      // The destination is free: the 412 was the source's condition.
      if ((input as { Key?: string }).Key === "out/x.xml")
        throw Object.assign(new Error("Not Found"), { name: "NotFound", $metadata: { httpStatusCode: 404 } });
      return { ETag: '"e1"', ContentLength: 3 };
    });
    await expect(safeMove(s3 as unknown as S3Client, "b", src, "out/x.xml")).rejects.toMatchObject({
      reason: "source-changed",
    });
    expect(s3.commandCalls(DeleteObjectCommand)).toHaveLength(0);
    expect(s3.commandCalls(CopyObjectCommand)[0]!.args[0].input).toMatchObject({
      CopySourceIfMatch: '"e1"',
      CopySource: "b/in/x.xml",
    });
    s3.restore();
  });

  it("a copy that does not verify keeps the source", async () => {
    const s3 = mockClient(S3Client);
    let heads = 0;
    s3.onAnyCommand().callsFake((input) => {
      if ("CopySource" in input) return {};
      if ("Key" in input && !("IfMatch" in input))
        return heads++ === 0 ? { ETag: '"e1"', ContentLength: 3 } : { ETag: '"e2"', ContentLength: 2 };
      return {};
    });
    await expect(safeMove(s3 as unknown as S3Client, "b", src, "out/x.xml")).rejects.toMatchObject({
      reason: "verify-failed",
    });
    expect(s3.commandCalls(DeleteObjectCommand)).toHaveLength(0);
    s3.restore();
  });

  it("deletes with If-Match, and a 412 there (a new upload under the same name) keeps the new file", async () => {
    const s3 = mockClient(S3Client);
    s3.onAnyCommand().callsFake((input) => {
      if ("IfMatch" in input)
        throw Object.assign(new Error("precondition"), {
          name: "PreconditionFailed",
          $metadata: { httpStatusCode: 412 },
        });
      if ("CopySource" in input) return { CopyObjectResult: { ETag: '"e1"' } };
      return { ETag: '"e1"', ContentLength: 3 };
    });
    const r = await safeMove(s3 as unknown as S3Client, "b", src, "out/x.xml");
    expect(r.moved).toBe(true);
    // Two requests: the copy conditional on the source's ETag, verified from its answer, then the delete.
    expect(s3.calls().map((c) => c.args[0].constructor.name)).toEqual(["CopyObjectCommand", "DeleteObjectCommand"]);
    expect(s3.commandCalls(DeleteObjectCommand)[0]!.args[0].input).toEqual({
      Bucket: "b",
      Key: "in/x.xml",
      IfMatch: '"e1"',
    });
    s3.restore();
  });

  it("verification: sizes must match; ETags compared unless SSE-KMS makes them opaque; checksums win", () => {
    const a = { key: "a", etag: '"1"', size: 3 };
    expect(copyMatches(a, { ...a, key: "b" })).toBe(true);
    expect(copyMatches(a, { ...a, etag: '"2"' })).toBe(false);
    expect(copyMatches(a, { ...a, size: 4 })).toBe(false);
    expect(copyMatches({ ...a, sse: "aws:kms" }, { ...a, etag: '"2"', sse: "aws:kms" })).toBe(true);
    expect(copyMatches({ ...a, checksum: "c1" }, { ...a, checksum: "c2" })).toBe(false);
  });
});
