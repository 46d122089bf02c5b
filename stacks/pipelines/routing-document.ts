/**
 * The routing document the handlers read (model/routing.ts): built from the validated customer
 * and the ids of the Transfer resources, written as one SSE-KMS object at ROUTING_DOCUMENT_KEY.
 * Its content is a Terraform local so that its SHA-256 changes exactly when the content does.
 *
 * Integrity (model/routing-integrity.ts): every gateway function carries that SHA-256
 * (ROUTING_SHA256, and ROUTING_ETAG as the cache key) and refuses a document with another digest;
 * each refusal is logged with a mark that a metric filter per function counts into one metric per
 * customer, and one alarm here notifies the operators at the first refusal.
 */
import { Construct, type IConstruct } from "constructs";
import { Fn, TerraformStack, type ITerraformDependable } from "cdktf";
import { S3Object } from "@cdktf/provider-aws/lib/s3-object";
import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import type { Customer } from "../../model/customer";
import { ROUTING_DOCUMENT_KEY, inboundWorkPrefix } from "../../model/layout";
import { ROUTING_INTEGRITY_METRIC, gatewayMetricNamespace } from "../../model/metrics";
import { buildRoutingDocument, type PartnerResourceIds, type RoutingCertificate } from "../../model/routing";
import type { BucketRef } from "../platform/context";
import { terraformJsonLocal } from "../platform/terraform-json";

export interface RoutingDocumentProps {
  readonly customer: Customer;
  readonly bucket: BucketRef;
  readonly kmsKeyArn: string;
  readonly partners: readonly PartnerResourceIds[];
  /** Every certificate with its end of validity, for the reconciler's expiry metric. @default none */
  readonly certificates?: readonly RoutingCertificate[];
  /** Operators' topic for the integrity alarm. @default no alarm actions */
  readonly alarmTopicArn?: string;
  /**
   * Written after these (the bucket policy, which allows the deployer to write under `_gateway/`).
   * @default none
   */
  readonly dependsOn?: ITerraformDependable[];
}

/** The CloudWatch metric that counts refused routing documents, one per customer. */
export interface RoutingIntegrityMetric {
  readonly namespace: string;
  readonly metricName: string;
}

const documents = new WeakMap<TerraformStack, RoutingDocument>();

export class RoutingDocument extends Construct {
  readonly key = ROUTING_DOCUMENT_KEY;
  /** Changes whenever the document's content changes (its SHA-256). */
  readonly etag: string;
  /** SHA-256 (hex) of the exact text written: what handlers verify. */
  readonly sha256: string;
  readonly object: S3Object;
  readonly integrityMetric: RoutingIntegrityMetric;
  readonly integrityAlarm: CloudwatchMetricAlarm;

  /** The stack's routing document, for the functions that read it (undefined in a bare test stack). */
  static of(scope: IConstruct): RoutingDocument | undefined {
    return documents.get(TerraformStack.of(scope));
  }

  constructor(scope: Construct, id: string, props: RoutingDocumentProps) {
    super(scope, id);
    const doc = buildRoutingDocument(
      props.customer,
      props.bucket.name,
      props.partners,
      inboundWorkPrefix,
      props.certificates,
    );
    const content = terraformJsonLocal(this, "content", doc);
    this.object = new S3Object(this, "object", {
      bucket: props.bucket.name,
      key: ROUTING_DOCUMENT_KEY,
      content: content.asString,
      contentType: "application/json",
      serverSideEncryption: "aws:kms",
      kmsKeyId: props.kmsKeyArn,
      ...(props.dependsOn?.length ? { dependsOn: props.dependsOn } : {}),
    });
    this.sha256 = Fn.sha256(content.asString);
    this.etag = this.sha256;

    this.integrityMetric = {
      namespace: gatewayMetricNamespace(props.customer.name),
      metricName: ROUTING_INTEGRITY_METRIC,
    };
    const actions = props.alarmTopicArn ? [props.alarmTopicArn] : [];
    this.integrityAlarm = new CloudwatchMetricAlarm(this, "integrity-alarm", {
      alarmName: `as2-${props.customer.name}-routing-document-refused`,
      alarmDescription:
        `A gateway function refused the routing document s3://<bucket>/${ROUTING_DOCUMENT_KEY}: its SHA-256 is not ` +
        "the one the stack wrote. Nothing is routed until it is restored: find who wrote it (CloudTrail data " +
        "events), then run `cdktf deploy` to rewrite it; the waiting work is in the dead-letter queues.",
      namespace: this.integrityMetric.namespace,
      metricName: this.integrityMetric.metricName,
      statistic: "Sum",
      period: 60,
      evaluationPeriods: 1,
      threshold: 0,
      comparisonOperator: "GreaterThanThreshold",
      treatMissingData: "notBreaching",
      alarmActions: actions,
      okActions: actions,
    });
    documents.set(TerraformStack.of(this), this);
  }
}
