/** Every log group has a retention period: logs are not kept (and paid for) forever. */
import type { GuardRailRule } from "./rule";

export const LogGroupRetention: GuardRailRule = {
  id: "LogGroupRetention",
  description: "CloudWatch log groups set retention_in_days",
  appliesTo: ["aws_cloudwatch_log_group"],
  check(el, ctx) {
    const days = Number(ctx.config(el).retention_in_days ?? 0);
    return days > 0 ? [] : ["log group has no retention (retention_in_days); its logs would be kept forever"];
  },
};
