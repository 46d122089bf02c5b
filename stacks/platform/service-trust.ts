/**
 * Trust policies for roles an AWS service assumes on this account's behalf: always with
 * `aws:SourceAccount` and an `aws:SourceArn` naming the resources that may use the role (the
 * confused-deputy protection every service documents).
 */
export function serviceTrustPolicy(
  service: string,
  accountId: string,
  sourceArns: readonly string[],
  operator: "ArnEquals" | "ArnLike" = "ArnLike",
): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Service: service },
        Action: "sts:AssumeRole",
        Condition: {
          StringEquals: { "aws:SourceAccount": accountId },
          [operator]: { "aws:SourceArn": [...sourceArns] },
        },
      },
    ],
  });
}
