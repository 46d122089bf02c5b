/** The customer's bucket and the key that encrypts it. (Hardening: the infrastructure issue.) */
import { Construct } from "constructs";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { DataAwsS3Bucket } from "@cdktf/provider-aws/lib/data-aws-s3-bucket";
import type { Customer } from "../model/customer";
import type { BucketRef } from "./context";

export interface GatewayStorageProps {
  readonly customer: Customer;
}

export class GatewayStorage extends Construct {
  readonly bucket: BucketRef;
  readonly kmsKey: KmsKey;

  constructor(scope: Construct, id: string, props: GatewayStorageProps) {
    super(scope, id);
    const { customer } = props;
    this.kmsKey = new KmsKey(this, "key", {
      description: `as2-transfer-gateway ${customer.name}: bucket, queues, table, logs`,
      enableKeyRotation: true,
      deletionWindowInDays: 30,
    });
    if (customer.bucket.existing) {
      const b = new DataAwsS3Bucket(this, "bucket", { bucket: customer.bucket.existing });
      this.bucket = { name: b.bucket, arn: b.arn };
    } else {
      const b = new S3Bucket(this, "bucket", {
        ...(customer.bucket.name ? { bucket: customer.bucket.name } : { bucketPrefix: `as2-${customer.name}-` }),
      });
      this.bucket = { name: b.bucket, arn: b.arn };
    }
  }
}
