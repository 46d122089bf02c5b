import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { IamPolicy } from "@cdktf/provider-aws/lib/iam-policy";
import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { Fn } from "cdktf";
import type { Construct } from "constructs";
import { synthWithGuardRails } from "../helpers";

const trust = JSON.stringify({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }],
});
const doc = (...Statement: object[]) => JSON.stringify({ Version: "2012-10-17", Statement });
function rolePolicy(policy: string) {
  return (s: Construct) => {
    const role = new IamRole(s, "role", { assumeRolePolicy: trust });
    new IamRolePolicy(s, "policy", { role: role.id, policy });
  };
}

describe("guard rail IamNoWildcardAction", () => {
  it("passes named actions and action families", () => {
    const { findings } = synthWithGuardRails(
      rolePolicy(
        doc(
          { Effect: "Allow", Action: ["s3:GetObject", "kms:GenerateDataKey*"], Resource: "arn:aws:s3:::b/p/*" },
          { Effect: "Deny", Action: "*", Resource: "*" },
        ),
      ),
    );
    expect(findings.errors).toEqual([]);
  });

  it.each([
    ["*", "*"],
    ["a whole service", "sqs:*"],
  ])("fails %s", (_what, action) => {
    const { findings } = synthWithGuardRails(
      rolePolicy(
        doc({ Sid: "Broad", Effect: "Allow", Action: action, Resource: "arn:aws:sqs:eu-west-1:123456789012:q" }),
      ),
    );
    // `*` also allows kms:Decrypt without a condition (KmsDecryptConditioned): this rule's finding only.
    expect(findings.errors.filter((f) => f.message.startsWith("[IamNoWildcardAction]"))).toEqual([
      {
        path: "test/policy",
        message: `[IamNoWildcardAction] policy statement Broad allows wildcard action(s) ${action}`,
      },
    ]);
  });

  it("fails Allow with NotAction, in managed policies and policy documents too", () => {
    const { findings } = synthWithGuardRails((s) => {
      new IamPolicy(s, "managed", {
        policy: doc({ Effect: "Allow", NotAction: "iam:*", Resource: "arn:aws:sqs:eu-west-1:123456789012:q" }),
      });
      new DataAwsIamPolicyDocument(s, "document", {
        statement: [{ actions: ["dynamodb:*"], resources: ["arn:aws:dynamodb:eu-west-1:123456789012:table/t"] }],
      });
    });
    expect(findings.errors.map((f) => f.path).sort()).toEqual(["test/document", "test/managed"]);
    expect(findings.errors.every((f) => f.message.startsWith("[IamNoWildcardAction]"))).toBe(true);
  });

  it("fails a policy it cannot read instead of passing it silently", () => {
    const { findings } = synthWithGuardRails(
      rolePolicy(Fn.jsonencode({ Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] })),
    );
    expect(findings.errors).toEqual([{ path: "test/policy", message: expect.stringContaining("not literal JSON") }]);
  });
});

describe("guard rail IamNoS3ActionOnWildcardResource", () => {
  it("passes S3 actions scoped to a prefix, and non-S3 actions on *", () => {
    const { findings } = synthWithGuardRails(
      rolePolicy(
        doc(
          { Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::b/_gateway/*" },
          { Effect: "Allow", Action: "transfer:StartFileTransfer", Resource: "*" },
        ),
      ),
    );
    expect(findings.errors).toEqual([]);
  });

  it.each([["*"], ["arn:aws:s3:::*"]])("fails an S3 action on %s", (resource) => {
    const { findings } = synthWithGuardRails(
      rolePolicy(doc({ Sid: "Any", Effect: "Allow", Action: ["s3:PutObject"], Resource: resource })),
    );
    expect(findings.errors).toEqual([
      {
        path: "test/policy",
        message: `[IamNoS3ActionOnWildcardResource] policy statement Any allows s3:PutObject on ${resource}`,
      },
    ]);
  });

  it("checks inline policies of roles", () => {
    const { findings } = synthWithGuardRails((s) => {
      new IamRole(s, "role", {
        assumeRolePolicy: trust,
        inlinePolicy: [{ name: "inline", policy: doc({ Effect: "Allow", Action: "s3:ListBucket", Resource: "*" }) }],
      });
    });
    expect(findings.errors).toEqual([
      { path: "test/role", message: expect.stringContaining("[IamNoS3ActionOnWildcardResource] inline policy inline") },
    ]);
  });
});
