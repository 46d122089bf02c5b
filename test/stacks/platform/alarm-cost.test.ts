import { all, synthCustomer } from "../helpers";
import { customerWithPartners } from "../../helpers/customer-factory";
import { alarmCost, formatAlarmCost, ALARM_METRIC_MONTHLY_USD } from "../../../stacks/platform/alarm-cost";

describe("the alarms' monthly cost in the synth summary", () => {
  const small = synthCustomer(customerWithPartners(2, "few"));
  const large = synthCustomer(customerWithPartners(150, "many"));

  it("counts every alarm of the stack and prices it at the list price per alarm metric", () => {
    const cost = alarmCost(small.stack);
    expect(cost.alarms).toBe(all(small.tf, "aws_cloudwatch_metric_alarm").length);
    expect(cost.monthlyUsd).toBeCloseTo(cost.alarmMetrics * ALARM_METRIC_MONTHLY_USD, 2);
    expect(formatAlarmCost(cost)).toMatch(/alarms: \d+ \(\d+ alarm metrics\), about \$\d+\.\d\d a month/);
  });

  it("does not grow with the number of partners (no alarm per partner or per certificate)", () => {
    expect(alarmCost(large.stack).alarms).toBe(alarmCost(small.stack).alarms);
  });
});
