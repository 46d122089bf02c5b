import { customerInput } from "../../helpers/customer-factory";
import { synthCustomer } from "../helpers";

describe("state backend", () => {
  it("is local by default, one state file per customer stack", () => {
    const { tf } = synthCustomer(customerInput(), { AS2_STATE_BUCKET: undefined });
    expect(tf.terraform.backend).toEqual({ local: { path: "terraform.customer-acme.tfstate" } });
  });

  it("is S3, encrypted and locked, when the customer file asks for it", () => {
    const { tf } = synthCustomer(
      customerInput({ state: { backend: "s3", bucket: "acme-tfstate", kmsKeyId: "alias/tfstate" } }),
      { AS2_STATE_BUCKET: undefined },
    );
    expect(tf.terraform.backend).toEqual({
      s3: {
        bucket: "acme-tfstate",
        key: "customers/acme/terraform.tfstate",
        region: "eu-west-1",
        encrypt: true,
        use_lockfile: true,
        kms_key_id: "alias/tfstate",
      },
    });
  });

  it("is S3 for every customer when AS2_STATE_BUCKET is set", () => {
    const { tf } = synthCustomer(customerInput(), { AS2_STATE_BUCKET: "shared-state", AS2_STATE_REGION: "us-east-1" });
    expect(tf.terraform.backend.s3).toMatchObject({
      bucket: "shared-state",
      key: "customers/acme/terraform.tfstate",
      region: "us-east-1",
      encrypt: true,
      use_lockfile: true,
    });
  });
});
