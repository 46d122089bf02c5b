/**
 * The sandbox runner on a small synthesized stack built here with the project's own constructs:
 * S3 → EventBridge → SQS (delay, visibility timeout, redrive) → Lambda (the deployment zip, its
 * synthesized environment) → S3 and PutEvents on a custom bus → rule → SQS.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App, Fn, TerraformStack } from "cdktf";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { S3BucketNotification } from "@cdktf/provider-aws/lib/s3-bucket-notification";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { CloudwatchEventBus } from "@cdktf/provider-aws/lib/cloudwatch-event-bus";
import { CloudwatchEventRule } from "@cdktf/provider-aws/lib/cloudwatch-event-rule";
import { CloudwatchEventTarget } from "@cdktf/provider-aws/lib/cloudwatch-event-target";
import { LambdaEventSourceMapping } from "@cdktf/provider-aws/lib/lambda-event-source-mapping";
import { GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { GatewayFunction } from "../../stacks/pipelines/gateway-function";
import { Sandbox } from "../../sandbox/runner/sandbox";

const out = mkdtempSync(join(tmpdir(), "runner-stack-"));
let sb: Sandbox;
const lines: string[] = [];

function synthFixture(): string {
  const app = new App({ outdir: out });
  const stack = new TerraformStack(app, "customer-fixture");
  new AwsProvider(stack, "aws", { region: "eu-west-1" });
  const bucket = new S3Bucket(stack, "bucket", { bucketPrefix: "fixture-" });
  new S3BucketNotification(stack, "notify", { bucket: bucket.id, eventbridge: true });
  const dlq = new SqsQueue(stack, "dlq", { name: "fixture-dlq" });
  const queue = new SqsQueue(stack, "queue", {
    name: "fixture-queue",
    delaySeconds: 1,
    visibilityTimeoutSeconds: 2,
    redrivePolicy: Fn.jsonencode({ deadLetterTargetArn: dlq.arn, maxReceiveCount: 2 }),
  });
  const bus = new CloudwatchEventBus(stack, "bus", { name: "fixture-bus" });
  const uploads = new CloudwatchEventRule(stack, "uploads", {
    eventPattern: JSON.stringify({
      source: ["aws.s3"],
      "detail-type": ["Object Created"],
      detail: { bucket: { name: [bucket.bucket] }, object: { key: [{ prefix: "in/" }] } },
    }),
  });
  new CloudwatchEventTarget(stack, "uploads-target", { rule: uploads.name, arn: queue.arn });
  const fn = new GatewayFunction(stack, "mirror", {
    entry: "test/sandbox/fixtures/mirror-handler.ts",
    functionName: "fixture-mirror",
    description: "test fixture",
    environment: { BUCKET: bucket.bucket, EVENT_BUS: bus.name },
    statements: [],
    logRetentionDays: 1,
    kmsKeyArn: "arn:aws:kms:eu-west-1:123456789012:key/fixture",
  });
  new LambdaEventSourceMapping(stack, "mapping", {
    eventSourceArn: queue.arn,
    functionName: fn.function.arn,
    batchSize: 5,
    functionResponseTypes: ["ReportBatchItemFailures"],
  });
  const seen = new SqsQueue(stack, "seen", { name: "fixture-seen" });
  const mirrored = new CloudwatchEventRule(stack, "mirrored", {
    eventBusName: bus.name,
    eventPattern: JSON.stringify({ source: ["fixture"], "detail-type": [{ prefix: "Mirror" }] }),
  });
  new CloudwatchEventTarget(stack, "mirrored-target", { rule: mirrored.name, eventBusName: bus.name, arn: seen.arn });
  app.synth();
  return join(out, "stacks", "customer-fixture");
}

async function until(what: string, ok: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await ok()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}\n${lines.join("\n")}`);
}

beforeAll(async () => {
  sb = new Sandbox({
    stackDir: synthFixture(),
    workDir: mkdtempSync(join(tmpdir(), "runner-work-")),
    log: (l) => void lines.push(l),
    verbose: true,
  });
  await sb.start();
});

afterAll(async () => {
  await sb.stop();
});

describe("sandbox runner", () => {
  it("creates the bucket from the synthesized stack and runs the function from its zip with its environment", async () => {
    expect(sb.buckets).toHaveLength(1);
    expect(sb.buckets[0]).toMatch(/^fixture-[0-9a-f]{8}$/);
    expect([...sb.functions.keys()]).toEqual(["fixture-mirror"]);
    expect(sb.functions.get("fixture-mirror")!.spec.environment).toMatchObject({
      BUCKET: sb.buckets[0],
      EVENT_BUS: "fixture-bus",
    });
  });

  it("routes an upload through EventBridge, the delayed queue and the event source mapping to the function, and its events to their rule", async () => {
    const bucket = sb.buckets[0]!;
    await sb.s3.send(new PutObjectCommand({ Bucket: bucket, Key: "in/a file+1.txt", Body: "hello" }));
    await until("the mirrored copy", async () => {
      try {
        const o = await sb.s3.send(new GetObjectCommand({ Bucket: bucket, Key: "mirror/in/a file+1.txt" }));
        return (await o.Body!.transformToString()) === "hello";
      } catch {
        return false;
      }
    });
    await until("the domain event on the custom bus", () => sb.queueDepth("fixture-seen") === 1);
    expect(sb.domainEvents().map((e) => e["detail-type"])).toEqual(["Mirrored"]);
    // Outside the rule's prefix: no invocation.
    const before = sb.functions.get("fixture-mirror")!.invocations;
    await sb.s3.send(new PutObjectCommand({ Bucket: bucket, Key: "other/b.txt", Body: "x" }));
    await new Promise((r) => setTimeout(r, 1500));
    expect(sb.functions.get("fixture-mirror")!.invocations).toBe(before);
  });

  it("redrives a message the function keeps failing to the dead-letter queue after maxReceiveCount", async () => {
    await sb.s3.send(new PutObjectCommand({ Bucket: sb.buckets[0]!, Key: "in/fail.txt", Body: "x" }));
    await until("the dead-letter queue", () => sb.queueDepth("fixture-dlq") === 1);
    expect(sb.deadLetters()).toEqual([{ queue: "fixture-dlq", count: 1 }]);
    expect(sb.queueDepth("fixture-queue")).toBe(0);
  });
});
