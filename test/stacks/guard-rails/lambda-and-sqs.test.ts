import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { LambdaEventSourceMapping } from "@cdktf/provider-aws/lib/lambda-event-source-mapping";
import { LambdaPermission } from "@cdktf/provider-aws/lib/lambda-permission";
import { LambdaFunctionEventInvokeConfig } from "@cdktf/provider-aws/lib/lambda-function-event-invoke-config";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import type { Construct } from "constructs";
import { synthWithGuardRails } from "../helpers";
import { GatewayFunction } from "../../../stacks/pipelines/gateway-function";
import { DeadLetterQueue } from "../../../stacks/platform/dlq-alarm";

const fn = (s: Construct, extra: Partial<ConstructorParameters<typeof LambdaFunction>[2]> = {}) =>
  new LambdaFunction(s, "fn", {
    functionName: "f",
    role: "arn:aws:iam::123456789012:role/r",
    runtime: "nodejs22.x",
    handler: "index.handler",
    filename: "x.zip",
    ...extra,
  });
const queuePair = (s: Construct) => {
  const dlq = new SqsQueue(s, "dlq", { name: "q-dlq" });
  const queue = new SqsQueue(s, "queue", {
    name: "q",
    redrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: 5 }),
  });
  return { dlq, queue };
};

describe("guard rail LambdaAsyncDeadLetter", () => {
  it("passes a function triggered only by an SQS event source mapping (its queue keeps failures)", () => {
    const { findings } = synthWithGuardRails((s) => {
      const { queue } = queuePair(s);
      const f = fn(s);
      new LambdaEventSourceMapping(s, "mapping", { functionName: f.functionName, eventSourceArn: queue.arn });
    });
    expect(findings.errors).toEqual([]);
  });

  it("passes an asynchronously invoked function with a dead-letter queue or an on-failure destination", () => {
    const withDlq = synthWithGuardRails((s) => {
      const dlq = new SqsQueue(s, "dlq", { name: "d" });
      const f = fn(s, { deadLetterConfig: { targetArn: dlq.arn } });
      new LambdaPermission(s, "events", {
        action: "lambda:InvokeFunction",
        functionName: f.functionName,
        principal: "events.amazonaws.com",
      });
    });
    expect(withDlq.findings.errors).toEqual([]);
    const withDestination = synthWithGuardRails((s) => {
      const dlq = new SqsQueue(s, "dlq", { name: "d" });
      const f = fn(s);
      new LambdaFunctionEventInvokeConfig(s, "invoke", {
        functionName: f.functionName,
        destinationConfig: { onFailure: { destination: dlq.arn } },
      });
    });
    expect(withDestination.findings.errors).toEqual([]);
  });

  it("fails an EventBridge-invoked function without a dead-letter target, even if it also reads a queue", () => {
    const { findings } = synthWithGuardRails((s) => {
      const { queue } = queuePair(s);
      const f = fn(s);
      new LambdaEventSourceMapping(s, "mapping", { functionName: f.functionName, eventSourceArn: queue.arn });
      new LambdaPermission(s, "events", {
        action: "lambda:InvokeFunction",
        functionName: f.functionName,
        principal: "events.amazonaws.com",
      });
    });
    expect(findings.errors).toEqual([
      { path: "test/fn", message: expect.stringMatching(/^\[LambdaAsyncDeadLetter\] .*aws_lambda_permission\.events/) },
    ]);
  });

  it("fails a function with no trigger and no dead-letter target", () => {
    const { findings } = synthWithGuardRails((s) => fn(s));
    expect(findings.errors).toEqual([
      { path: "test/fn", message: expect.stringContaining("no SQS event source mapping") },
    ]);
  });

  it("passes the shared GatewayFunction construct when given a dead-letter queue", () => {
    const { findings } = synthWithGuardRails((s) => {
      const dlq = new SqsQueue(s, "dlq", { name: "d", tags: { "as2-gateway:queue-role": "dead-letter" } });
      new GatewayFunction(s, "gw", {
        entry: "handlers/shared/logger.ts",
        functionName: "acme-test",
        description: "test",
        environment: {},
        statements: [{ actions: ["s3:GetObject"], resources: ["arn:aws:s3:::b/AS2/*"] }],
        logRetentionDays: 30,
        kmsKeyArn: "arn:aws:kms:eu-west-1:123456789012:key/k",
        deadLetterQueueArn: dlq.arn,
      });
    });
    expect(findings.errors).toEqual([]);
  });
});

describe("guard rail SqsRedrive", () => {
  it("passes a queue with a redrive policy, and its dead-letter queue", () => {
    const { findings } = synthWithGuardRails((s) => queuePair(s));
    expect(findings.errors).toEqual([]);
  });

  it("passes dead-letter queues of functions and the DeadLetterQueue construct", () => {
    const { findings } = synthWithGuardRails((s) => {
      const dlq = new SqsQueue(s, "fn-dlq", { name: "f-dlq" });
      fn(s, { deadLetterConfig: { targetArn: dlq.arn } });
      new DeadLetterQueue(s, "tagged", {
        queueName: "x-dlq",
        kmsKeyArn: "arn:aws:kms:eu-west-1:123456789012:key/k",
        alarmTopicArn: "arn:aws:sns:eu-west-1:123456789012:t",
        description: "d",
      });
    });
    expect(findings.errors.filter((f) => f.message.startsWith("[SqsRedrive]"))).toEqual([]);
  });

  it("fails a work queue without a redrive policy", () => {
    const { findings } = synthWithGuardRails((s) => new SqsQueue(s, "queue", { name: "q" }));
    expect(findings.errors).toEqual([{ path: "test/queue", message: expect.stringContaining("[SqsRedrive]") }]);
  });
});
