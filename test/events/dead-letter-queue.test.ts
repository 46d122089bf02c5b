import {
  DeadLetterQueue,
  dlqDepthAlarm,
  DEAD_LETTER_TAG,
  DLQ_RETENTION_SECONDS,
} from "../../stacks/platform/dlq-alarm";
import { synthConstruct, resourceList } from "./synth-helpers";

describe("DeadLetterQueue", () => {
  const tf = synthConstruct((s) => {
    new DeadLetterQueue(s, "dlq", {
      queueName: "as2-acme-webhook-ops-dlq",
      kmsKeyArn: "arn:aws:kms:eu-west-1:123456789012:key/abc",
      alarmTopicArn: "arn:aws:sns:eu-west-1:123456789012:as2-acme-alarms",
      description: "webhook ops could not be delivered",
      senders: [
        { service: "events.amazonaws.com", sourceArns: ["arn:aws:events:eu-west-1:123456789012:rule/as2-acme/r"] },
      ],
    });
  });

  it("is KMS-encrypted, kept 14 days and tagged as a dead-letter queue", () => {
    const [q] = resourceList(tf, "aws_sqs_queue");
    expect(q).toMatchObject({
      name: "as2-acme-webhook-ops-dlq",
      kms_master_key_id: "arn:aws:kms:eu-west-1:123456789012:key/abc",
      message_retention_seconds: DLQ_RETENTION_SECONDS,
      tags: DEAD_LETTER_TAG,
    });
    expect(DLQ_RETENTION_SECONDS).toBe(1209600);
  });

  it("lets only the named service send, from the named source", () => {
    const [p] = resourceList(tf, "aws_sqs_queue_policy");
    const doc = JSON.parse(p.policy);
    expect(doc.Statement).toEqual([
      expect.objectContaining({
        Effect: "Allow",
        Principal: { Service: "events.amazonaws.com" },
        Action: "sqs:SendMessage",
        Condition: { ArnEquals: { "aws:SourceArn": ["arn:aws:events:eu-west-1:123456789012:rule/as2-acme/r"] } },
      }),
    ]);
  });

  it("alarms to the topic as soon as one message is visible", () => {
    const [a] = resourceList(tf, "aws_cloudwatch_metric_alarm");
    expect(a).toMatchObject({
      namespace: "AWS/SQS",
      metric_name: "ApproximateNumberOfMessagesVisible",
      dimensions: { QueueName: "as2-acme-webhook-ops-dlq" },
      comparison_operator: "GreaterThanThreshold",
      threshold: 0,
      alarm_actions: ["arn:aws:sns:eu-west-1:123456789012:as2-acme-alarms"],
      treat_missing_data: "notBreaching",
    });
  });

  it("refuses a name SQS would refuse", () => {
    expect(() =>
      synthConstruct(
        (s) =>
          new DeadLetterQueue(s, "x", { queueName: "bad name", kmsKeyArn: "k", alarmTopicArn: "t", description: "d" }),
      ),
    ).toThrow(/letters, digits/);
  });

  it("dlqDepthAlarm watches a queue created elsewhere", () => {
    const tf2 = synthConstruct((s) =>
      dlqDepthAlarm(s, "a", { queueName: "as2-acme-settle-dlq", alarmTopicArn: "arn:t", description: "d" }),
    );
    const [a] = resourceList(tf2, "aws_cloudwatch_metric_alarm");
    expect(a.alarm_name).toBe("as2-acme-settle-dlq-not-empty");
    expect(a.dimensions).toEqual({ QueueName: "as2-acme-settle-dlq" });
    expect(resourceList(tf2, "aws_sqs_queue")).toHaveLength(0);
  });
});
