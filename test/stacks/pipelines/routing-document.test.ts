import { customerInput, SAMPLE_CERT_PEM } from "../../helpers/customer-factory";
import { ROUTING_DOCUMENT_KEY, inboundWorkPrefix } from "../../../model/layout";
import { resolve } from "cdktf/lib/_tokens";
import { customerFrom, one, ref, synthCustomer } from "../helpers";
import { terraformJson } from "../../../stacks/platform/terraform-json";

describe("routing document", () => {
  const input = customerInput({
    partners: [
      {
        as2Id: "P1",
        station: "ACME",
        url: "https://p1.example/as2",
        certificates: { signing: { pem: SAMPLE_CERT_PEM } },
        test: true,
      },
      {
        as2Id: "P2",
        station: "ACME",
        url: "https://p2.example/as2",
        certificates: { signing: { pem: SAMPLE_CERT_PEM } },
        inbound: { preserveFilename: false, enforceMessageSigning: false },
      },
    ],
  });
  const { tf, stack } = synthCustomer(input);
  const localName = Object.keys(tf.locals!)[0]!;
  const content: string = tf.locals![localName];

  it("is one SSE-KMS object at the routing key, with the content built from the model", () => {
    const obj = one(tf, "aws_s3_object");
    expect(obj).toMatchObject({
      key: ROUTING_DOCUMENT_KEY,
      content: `\${local.${localName}}`,
      content_type: "application/json",
      server_side_encryption: "aws:kms",
      kms_key_id: ref("aws_kms_key", Object.keys(tf.resource.aws_kms_key!)[0]!, "arn"),
    });
    const doc = JSON.parse(content);
    expect(doc).toMatchObject({
      version: 1,
      customer: "acme",
      layout: "mftgateway",
      settle: { fileSeconds: 15, directorySeconds: 120 },
    });
    expect(doc.bucket).toBe(ref("aws_s3_bucket", Object.keys(tf.resource.aws_s3_bucket!)[0]!, "bucket"));
    expect(doc.partners[0]).toMatchObject({
      station: "ACME",
      partner: "P1",
      test: true,
      enabled: true,
      inboundPrefix: inboundWorkPrefix({ station: "ACME", partner: "P1" }),
    });
  });

  it("maps each partner to its connector and agreement ids, whichever resource type holds them", () => {
    const [p1, p2] = JSON.parse(content).partners;
    expect(p1.connectorId).toMatch(/^\$\{aws_transfer_connector\.[^.]+\.connector_id\}$/);
    expect(p1.agreementId).toMatch(
      /^\$\{jsondecode\(aws_cloudcontrolapi_resource\.[^.]+\.properties\)\.AgreementId\}$/,
    );
    expect(p2.agreementId).toMatch(
      /^\$\{jsondecode\(aws_cloudcontrolapi_resource\.[^.]+\.properties\)\.AgreementId\}$/,
    );
  });

  it("escapes literal strings that Terraform would read as interpolation, not references", () => {
    const text = resolve(stack, terraformJson({ literal: "a${x}%{y}$z", reference: stack.context.bucket.name }));
    expect(JSON.parse(text)).toEqual({
      literal: "a$${x}%%{y}$z",
      reference: expect.stringMatching(/^\$\{aws_s3_bucket\./),
    });
  });

  it("is never handed an AS2 ID that Terraform would read as an expression", () => {
    expect(() =>
      customerFrom(customerInput({ stations: [{ as2Id: "A${x}", signing: { generate: true } }], partners: [] })),
    ).toThrow(/cannot contain '\$\{'/);
  });

  it("gives the pipelines its key and an etag that is the hash of its content", () => {
    expect(stack.context.routing.key).toBe(ROUTING_DOCUMENT_KEY);
    expect(resolve(stack, stack.context.routing.etag)).toBe(`\${sha256(local.${localName})}`);
  });
});
