/** The runner's pure parts: Terraform expressions, EventBridge patterns, rule payloads. */
import { evaluateString, UNKNOWN } from "../../sandbox/runner/hcl";
import { matchesPattern, rateMs, targetPayload } from "../../sandbox/runner/eventbridge";
import type { BusEvent } from "../../sandbox/runner/eventbridge";

const refs: Record<string, unknown> = {
  "aws_s3_bucket.b.bucket": "my-bucket",
  "aws_sqs_queue.q.url": "http://127.0.0.1:1/123/q",
  "aws_cloudcontrolapi_resource.a.properties": JSON.stringify({ AgreementId: "a-1" }),
};
const resolve = (p: readonly (string | number)[]) => {
  const k = p.join(".");
  if (k.startsWith("data.aws_secretsmanager")) return UNKNOWN;
  if (!(k in refs)) throw new Error(`unexpected reference ${k}`);
  return refs[k] as string;
};

describe("Terraform expressions", () => {
  it.each([
    ["plain", "plain"],
    ["${aws_s3_bucket.b.bucket}", "my-bucket"],
    ["/${aws_s3_bucket.b.bucket}/_gateway/x", "/my-bucket/_gateway/x"],
    ['${jsondecode(aws_cloudcontrolapi_resource.a.properties)["AgreementId"]}', "a-1"],
    ["${jsondecode(aws_cloudcontrolapi_resource.a.properties).AgreementId}", "a-1"],
    [
      '${jsonencode({"Url" = aws_sqs_queue.q.url, "n" = 2, "l" = [true, null], "s" = "a\\"b"})}',
      '{"Url":"http://127.0.0.1:1/123/q","n":2,"l":[true,null],"s":"a\\"b"}',
    ],
    ['$${literal} ${upper("x")}', "${literal} X"],
    ['${sha256("abc")}', "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"],
  ])("%s", (expr, expected) => {
    expect(evaluateString(expr, resolve)).toEqual(expected);
  });

  it("propagates what cannot be known offline", () => {
    expect(evaluateString("${data.aws_secretsmanager_secret_version.k.secret_string}", resolve)).toBe(UNKNOWN);
    expect(
      evaluateString('${jsonencode({"k" = data.aws_secretsmanager_secret_version.k.secret_string})}', resolve),
    ).toBe(UNKNOWN);
  });

  it("refuses a function it does not implement, by name", () => {
    expect(() => evaluateString('${templatefile("x", {})}', resolve)).toThrow(/templatefile/);
  });
});

describe("EventBridge patterns", () => {
  const s3Event = {
    source: "aws.s3",
    "detail-type": "Object Created",
    detail: { bucket: { name: "b" }, object: { key: "AS2/send/ST/P/x.edi", size: 5 } },
  };
  it.each([
    [{ source: ["aws.s3"] }, true],
    [{ source: ["aws.transfer"] }, false],
    [{ detail: { object: { key: [{ prefix: "AS2/send/" }] } } }, true],
    [{ detail: { object: { key: [{ prefix: "AS2/files/" }] } } }, false],
    [{ detail: { object: { key: [{ suffix: ".edi" }] } } }, true],
    [{ detail: { object: { size: [{ numeric: [">", 4, "<=", 5] }] } } }, true],
    [{ detail: { "connector-id": [{ exists: true }] } }, false],
    [{ detail: { "connector-id": [{ exists: false }] } }, true],
    [{ "detail-type": [{ "anything-but": ["Object Deleted"] }] }, true],
    [{ $or: [{ source: ["x"] }, { detail: { bucket: { name: ["b"] } } }] }, true],
  ])("%j → %s", (pattern, expected) => {
    expect(matchesPattern(s3Event, pattern)).toBe(expected);
  });

  it("builds target payloads from Input, InputPath and InputTransformer", () => {
    const e = { ...s3Event, id: "1", account: "1", time: "t", region: "r", resources: [] } as BusEvent;
    expect(targetPayload({ arn: "x" }, e)).toBe(JSON.stringify(e));
    expect(targetPayload({ arn: "x", input: '{"a":1}' }, e)).toBe('{"a":1}');
    expect(targetPayload({ arn: "x", inputPath: "$.detail.object" }, e)).toBe(JSON.stringify(s3Event.detail.object));
    expect(
      targetPayload(
        { arn: "x", inputTransformer: { inputPaths: { k: "$.detail.object.key" }, inputTemplate: '{"key": "<k>"}' } },
        e,
      ),
    ).toBe('{"key": "AS2/send/ST/P/x.edi"}');
    expect(rateMs("rate(5 minutes)")).toBe(300_000);
    expect(rateMs("cron(0 12 * * ? *)")).toBeUndefined();
  });
});
