import { customerInput, SAMPLE_CERT_PEM } from "../helpers/customer-factory";
import { ROUTING_DOCUMENT_KEY, inboundWorkPrefix } from "../../model/layout";
import { resolve } from "cdktf/lib/_tokens";
import { one, ref, synthCustomer } from "./helpers";

describe("routing document", () => {
  const input = customerInput({
    partners: [
      { as2Id: "P1", station: "ACME", url: "https://p1.example/as2", certificates: { signing: { pem: SAMPLE_CERT_PEM } }, test: true },
      { as2Id: "P2", station: "ACME", url: "https://p2.example/as2", certificates: { signing: { pem: SAMPLE_CERT_PEM } }, inbound: { preserveFilename: false, enforceMessageSigning: false } },
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
    expect(content).toMatch(/^\$\{jsonencode\(/);
    expect(content).toContain(`"version" = 1`);
    expect(content).toContain(`"inboundPrefix" = "${inboundWorkPrefix({ station: "ACME", partner: "P1" })}"`);
    expect(content).toMatch(/"partner" = "P1", "test" = true/);
  });

  it("maps each partner to its connector and agreement ids, whichever resource type holds them", () => {
    expect(content).toMatch(/"connectorId" = aws_transfer_connector\.[^.]+\.connector_id, "agreementId" = jsondecode\(aws_cloudcontrolapi_resource\.[^.]+\.properties\)\.AgreementId/);
    expect(content).toMatch(/"connectorId" = aws_transfer_connector\.[^.]+\.connector_id, "agreementId" = aws_transfer_agreement\.[^.]+\.agreement_id/);
  });

  it("gives the pipelines its key and an etag that is the hash of its content", () => {
    expect(stack.context.routing.key).toBe(ROUTING_DOCUMENT_KEY);
    expect(resolve(stack, stack.context.routing.etag)).toBe(`\${sha256(local.${localName})}`);
  });
});
