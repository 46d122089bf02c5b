/**
 * What the gateway's function roles may do with routed files and the key, read from the
 * synthesized example: they only add to inbox/, outbox/ and failed/ (IAM grants no delete there,
 * whatever the bucket: the bucket policy's Deny covers created buckets only), and they use the
 * key only through the gateway's services.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { EXAMPLE_DIR } from "../helpers/customer-factory";
import type { CustomerInput } from "../../model/customer";
import { synthCustomer } from "../stacks/helpers";
import { globMatches } from "./iam-glob";

const example = JSON.parse(readFileSync(join(EXAMPLE_DIR, "example.json"), "utf8")) as CustomerInput;

describe.each([
  ["a created bucket", example],
  ["a bring-your-own bucket", { ...example, bucket: { existing: "acme-own-bucket" } }],
])("function roles with %s", (_what, input) => {
  const { tf } = synthCustomer(input);
  const fnRoles = Object.entries(tf.resource.aws_iam_role!)
    .filter(([, r]) => String(r.name).endsWith("-fn"))
    .map(([id]) => `\${aws_iam_role.${id}.id}`);
  const statements = Object.values(tf.resource.aws_iam_role_policy!)
    .filter((p) => fnRoles.includes(p.role))
    .flatMap((p) => JSON.parse(p.policy).Statement as { Action: string[]; Resource: string[]; Condition?: any }[]);

  it("read and delete the exact version wherever they move files out (version-exact moves)", () => {
    // CopyObject `?versionId=` and DeleteObject VersionId are authorized as s3:GetObjectVersion /
    // s3:DeleteObjectVersion (S3 API reference); without them every move on AWS is a 403.
    const working = ["AS2/send/ST/P/x.edi", "_gateway/outbound/ST/P/c1/x.edi", "_gateway/inbound/ST/P/x.edi"];
    const grants = (action: string, key: string) =>
      statements.filter(
        (s) => s.Action.includes(action) && s.Resource.some((r) => globMatches(r.replace(/^\$\{[^}]+\}\//, ""), key)),
      );
    let checked = 0;
    for (const key of working)
      for (const [plain, versioned] of [
        ["s3:GetObject", "s3:GetObjectVersion"],
        ["s3:DeleteObject", "s3:DeleteObjectVersion"],
      ] as const)
        for (const s of grants(plain, key)) {
          checked++;
          expect({ key, actions: s.Action }).toEqual({ key, actions: expect.arrayContaining([versioned]) });
        }
    expect(checked).toBeGreaterThanOrEqual(6);
  });

  it("grant no delete of a routed file", () => {
    expect(fnRoles.length).toBeGreaterThanOrEqual(4);
    const routed = ["inbox", "outbox", "failed"].flatMap((f) => [
      `AS2/files/ST/P/${f}/20261122T175432123Z/x.edi`,
      `AS2/files/ST/P/test/${f}/x.edi`,
    ]);
    const deletes = statements.filter((s) =>
      s.Action.some((a) => /^s3:(DeleteObject|DeleteObjectVersion|\*|Delete\*)$/.test(a)),
    );
    expect(deletes.length).toBeGreaterThan(0);
    for (const s of deletes)
      for (const r of s.Resource)
        for (const key of routed) expect(globMatches(r.replace(/^\$\{[^}]+\}\//, ""), key)).toBe(false);
  });

  it("use the key only through the gateway's services", () => {
    const kms = statements.filter((s) => s.Action.some((a) => a.startsWith("kms:")));
    expect(kms.length).toBeGreaterThan(0);
    for (const s of kms)
      expect(s.Condition.StringEquals["kms:ViaService"]).toEqual(
        ["s3", "sqs", "dynamodb", "sns", "events", "lambda"].map((svc) => `${svc}.eu-west-1.amazonaws.com`),
      );
  });
});
