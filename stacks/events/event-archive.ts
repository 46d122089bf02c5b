/**
 * The event archive: every domain event (and, if chosen, every raw `aws.transfer` AS2 event) as
 * one JSON line in S3, written by Kinesis Data Firehose from EventBridge rules. Object keys are
 * `archivePrefix(partitioning)` (model/layout.ts) followed by Firehose's own suffix
 * `<stream>-<version>-<yyyy>-<MM>-<dd>-<HH>-<mm>-<ss>-<uuid>.jsonl`, so two objects never share a
 * name whatever the restarts or concurrency. Each line is the whole EventBridge event (`id`,
 * `time`, `source`, `detail-type`, `detail`...), `detail` being the DomainEvent.
 */
import { Construct } from "constructs";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { CloudwatchLogStream } from "@cdktf/provider-aws/lib/cloudwatch-log-stream";
import { CloudwatchEventRule } from "@cdktf/provider-aws/lib/cloudwatch-event-rule";
import { CloudwatchEventTarget } from "@cdktf/provider-aws/lib/cloudwatch-event-target";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { KinesisFirehoseDeliveryStream } from "@cdktf/provider-aws/lib/kinesis-firehose-delivery-stream";
import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import type { Customer } from "../../model/customer";
import { EVENT_SOURCE } from "../../model/events";
import { archiveErrorPrefix, archiveIamPrefix, archivePrefix } from "../../model/layout";
import type { BucketRef } from "../platform/context";
import { DeadLetterQueue } from "../platform/dlq-alarm";
import { physicalName } from "./event-names";
import { policyDocument } from "../pipelines/gateway-function";
import { eventsTrustPolicy } from "./webhooks";

/** Firehose appends this to every object name (after its unique suffix). */
export const ARCHIVE_FILE_EXTENSION = ".jsonl";

/** Age of the oldest undelivered record that means delivery is stuck: the buffer interval plus 15 minutes. */
export function archiveStaleSeconds(bufferIntervalSeconds: number): number {
  return bufferIntervalSeconds + 900;
}

export function domainEventArchivePattern(): Record<string, unknown> {
  return { source: [EVENT_SOURCE] };
}

/** The eight AS2 event types of Transfer Family, as they arrive on the default bus. */
export function transferEventArchivePattern(): Record<string, unknown> {
  return { source: ["aws.transfer"], "detail-type": [{ prefix: "AS2 " }] };
}

export interface EventArchiveProps {
  readonly customer: Customer;
  readonly bucket: BucketRef;
  readonly kmsKeyArn: string;
  readonly eventBusName: string;
  readonly alarmTopicArn: string;
  readonly accountId: string;
  readonly partition: string;
}

// Like the other event-delivery constructs, the public fields list what it creates: a shape, not shared logic.
export class EventArchive extends Construct {
  readonly stream: KinesisFirehoseDeliveryStream;
  readonly rules: readonly CloudwatchEventRule[];
  readonly deadLetter: DeadLetterQueue;
  readonly logGroup: CloudwatchLogGroup;
  readonly freshnessAlarm: CloudwatchMetricAlarm;

  constructor(scope: Construct, id: string, props: EventArchiveProps) {
    super(scope, id);
    const { customer, bucket } = props;
    const archive = customer.archive;
    const streamName = physicalName(["as2", customer.name, "event-archive"]);

    this.logGroup = new CloudwatchLogGroup(this, "logs", {
      name: `/aws/kinesisfirehose/${streamName}`,
      retentionInDays: customer.logRetentionDays,
      kmsKeyId: props.kmsKeyArn,
    });
    const logStream = new CloudwatchLogStream(this, "log-stream", {
      name: "DestinationDelivery",
      logGroupName: this.logGroup.name,
    });

    const firehoseRole = new IamRole(this, "firehose-role", {
      name: physicalName([streamName, "firehose"]),
      assumeRolePolicy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Principal: { Service: "firehose.amazonaws.com" },
            Action: "sts:AssumeRole",
            Condition: { StringEquals: { "sts:ExternalId": props.accountId } },
          },
        ],
      }),
    });
    const root = archiveIamPrefix();
    new IamRolePolicy(this, "firehose-policy", {
      role: firehoseRole.id,
      policy: policyDocument([
        {
          sid: "WriteArchiveObjects",
          actions: ["s3:PutObject", "s3:GetObject", "s3:AbortMultipartUpload"],
          resources: [`${bucket.arn}/${root}*`],
        },
        {
          sid: "LocateBucket",
          actions: ["s3:GetBucketLocation", "s3:ListBucketMultipartUploads"],
          resources: [bucket.arn],
        },
        {
          sid: "ListArchive",
          actions: ["s3:ListBucket"],
          resources: [bucket.arn],
          conditions: { StringLike: { "s3:prefix": [`${root}*`] } },
        },
        {
          sid: "EncryptArchiveObjects",
          actions: ["kms:GenerateDataKey", "kms:Decrypt"],
          resources: [props.kmsKeyArn],
          conditions: {
            StringEquals: { "kms:ViaService": `s3.${customer.region}.amazonaws.com` },
            // Object ARN without an S3 Bucket Key, the bucket ARN with one.
            StringLike: { "kms:EncryptionContext:aws:s3:arn": [`${bucket.arn}/${root}*`, bucket.arn] },
          },
        },
        {
          sid: "DeliveryErrorLogs",
          actions: ["logs:PutLogEvents"],
          resources: [`${this.logGroup.arn}:log-stream:${logStream.name}`],
        },
      ]),
    });

    this.stream = new KinesisFirehoseDeliveryStream(this, "stream", {
      name: streamName,
      destination: "extended_s3",
      serverSideEncryption: { enabled: true, keyType: "AWS_OWNED_CMK" },
      extendedS3Configuration: {
        roleArn: firehoseRole.arn,
        bucketArn: bucket.arn,
        prefix: archivePrefix(archive.partitioning),
        errorOutputPrefix: archiveErrorPrefix(),
        bufferingSize: archive.bufferSizeMiB,
        bufferingInterval: archive.bufferIntervalSeconds,
        compressionFormat: "UNCOMPRESSED",
        fileExtension: ARCHIVE_FILE_EXTENSION,
        kmsKeyArn: props.kmsKeyArn,
        // One event per line: Firehose itself adds "\n" after each record (no Lambda).
        processingConfiguration: { enabled: true, processors: [{ type: "AppendDelimiterToRecord" }] },
        cloudwatchLoggingOptions: { enabled: true, logGroupName: this.logGroup.name, logStreamName: logStream.name },
      },
    });

    // Firehose retries S3 for 24 h before writing to the error prefix: a growing age of the oldest
    // buffered record is the early sign (wrong key or bucket policy, deleted bucket).
    this.freshnessAlarm = new CloudwatchMetricAlarm(this, "freshness", {
      alarmName: `${streamName}-not-delivering`,
      alarmDescription: `The event archive ${streamName} has not delivered to S3 for ${archiveStaleSeconds(archive.bufferIntervalSeconds)} s; see the log group ${this.logGroup.name}.`,
      namespace: "AWS/Firehose",
      metricName: "DeliveryToS3.DataFreshness",
      dimensions: { DeliveryStreamName: streamName },
      statistic: "Maximum",
      period: 300,
      evaluationPeriods: 1,
      threshold: archiveStaleSeconds(archive.bufferIntervalSeconds),
      comparisonOperator: "GreaterThanThreshold",
      treatMissingData: "notBreaching",
      alarmActions: [props.alarmTopicArn],
      okActions: [props.alarmTopicArn],
    });

    const rules = [
      new CloudwatchEventRule(this, "domain-events", {
        name: physicalName(["as2", customer.name, "archive-domain-events"]),
        description: "Every domain event of the gateway, to the event archive",
        eventBusName: props.eventBusName,
        eventPattern: JSON.stringify(domainEventArchivePattern()),
      }),
    ];
    if (archive.includeTransferEvents) {
      // AWS services publish on the default bus only.
      rules.push(
        new CloudwatchEventRule(this, "transfer-events", {
          name: physicalName(["as2", customer.name, "archive-transfer-events"]),
          description: "Raw AS2 events of Transfer Family, to the event archive",
          eventBusName: "default",
          eventPattern: JSON.stringify(transferEventArchivePattern()),
        }),
      );
    }
    this.rules = rules;

    const putRole = new IamRole(this, "put-role", {
      name: physicalName([streamName, "put"]),
      assumeRolePolicy: eventsTrustPolicy(
        props.accountId,
        rules.map((r) => r.arn),
      ),
    });
    new IamRolePolicy(this, "put-policy", {
      role: putRole.id,
      policy: policyDocument([
        {
          sid: "PutToArchive",
          actions: ["firehose:PutRecord", "firehose:PutRecordBatch"],
          resources: [this.stream.arn],
        },
      ]),
    });
    this.deadLetter = new DeadLetterQueue(this, "dlq", {
      queueName: physicalName(["as2", customer.name, "event-archive-dlq"], 80),
      kmsKeyArn: props.kmsKeyArn,
      alarmTopicArn: props.alarmTopicArn,
      description:
        "Events EventBridge could not put into the archive's Firehose stream; they are missing from the archive until redriven.",
      senders: [{ service: "events.amazonaws.com", sourceArns: rules.map((r) => r.arn) }],
    });
    rules.forEach(
      (rule, i) =>
        new CloudwatchEventTarget(this, `target-${i}`, {
          rule: rule.name,
          eventBusName: i === 0 ? props.eventBusName : "default",
          targetId: "event-archive",
          arn: this.stream.arn,
          roleArn: putRole.arn,
          retryPolicy: { maximumRetryAttempts: 185, maximumEventAgeInSeconds: 86400 },
          deadLetterConfig: { arn: this.deadLetter.queue.arn },
        }),
    );
  }
}
