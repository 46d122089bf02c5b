import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { synthWithGuardRails } from "../helpers";

describe("guard rail LogGroupRetention", () => {
  it("passes a log group with retention", () => {
    const { findings } = synthWithGuardRails(
      (s) => new CloudwatchLogGroup(s, "logs", { name: "/x", retentionInDays: 90 }),
    );
    expect(findings.errors).toEqual([]);
  });

  it("fails a log group without retention", () => {
    const { findings } = synthWithGuardRails((s) => new CloudwatchLogGroup(s, "logs", { name: "/x" }));
    expect(findings.errors).toEqual([{ path: "test/logs", message: expect.stringContaining("[LogGroupRetention]") }]);
  });
});
