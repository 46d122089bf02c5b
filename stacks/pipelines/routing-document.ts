/**
 * The routing document the handlers read (model/routing.ts): built from the validated customer
 * and the ids of the Transfer resources, written as one SSE-KMS object at ROUTING_DOCUMENT_KEY.
 * Its content is a Terraform local so that `etag` (its SHA-256) changes exactly when the content
 * does: functions carry it in their environment, so a new document means new environments and
 * handlers that reload it.
 */
import { Construct } from "constructs";
import { Fn, TerraformLocal } from "cdktf";
import { S3Object } from "@cdktf/provider-aws/lib/s3-object";
import type { Customer } from "../../model/customer";
import { ROUTING_DOCUMENT_KEY, inboundWorkPrefix } from "../../model/layout";
import { buildRoutingDocument, type PartnerResourceIds } from "../../model/routing";
import type { BucketRef } from "../platform/context";
import { terraformJson } from "../platform/terraform-json";

export interface RoutingDocumentProps {
  readonly customer: Customer;
  readonly bucket: BucketRef;
  readonly kmsKeyArn: string;
  readonly partners: readonly PartnerResourceIds[];
}

export class RoutingDocument extends Construct {
  readonly key = ROUTING_DOCUMENT_KEY;
  /** Changes whenever the document's content changes. */
  readonly etag: string;
  readonly object: S3Object;

  constructor(scope: Construct, id: string, props: RoutingDocumentProps) {
    super(scope, id);
    const doc = buildRoutingDocument(props.customer, props.bucket.name, props.partners, inboundWorkPrefix);
    const content = new TerraformLocal(this, "content", terraformJson(doc));
    this.object = new S3Object(this, "object", {
      bucket: props.bucket.name,
      key: ROUTING_DOCUMENT_KEY,
      content: content.asString,
      contentType: "application/json",
      serverSideEncryption: "aws:kms",
      kmsKeyId: props.kmsKeyArn,
    });
    this.etag = Fn.sha256(content.asString);
  }
}
