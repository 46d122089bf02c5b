/**
 * What the stack's CloudWatch alarms cost a month, printed with the synth summary: alarms are the
 * one per-resource monitoring charge that grows with partners if a construct alarms per partner.
 * List price of a standard-resolution alarm: $0.10 per alarm metric per month (us-east-1; a metric
 * math alarm pays for each metric it reads), https://aws.amazon.com/cloudwatch/pricing/.
 */
import type { IConstruct } from "constructs";
import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";

export const ALARM_METRIC_MONTHLY_USD = 0.1;

export interface AlarmCost {
  readonly alarms: number;
  readonly alarmMetrics: number;
  readonly monthlyUsd: number;
}

export function alarmCost(scope: IConstruct): AlarmCost {
  let alarms = 0;
  let alarmMetrics = 0;
  for (const c of scope.node.findAll()) {
    if (!(c instanceof CloudwatchMetricAlarm)) continue;
    alarms++;
    const queries = c.metricQuery.internalValue;
    const read = Array.isArray(queries) ? queries.filter((q) => q && (q as { metric?: unknown }).metric).length : 0;
    alarmMetrics += Math.max(1, read);
  }
  return { alarms, alarmMetrics, monthlyUsd: Math.round(alarmMetrics * ALARM_METRIC_MONTHLY_USD * 100) / 100 };
}

export function formatAlarmCost(c: AlarmCost): string {
  return (
    `  alarms: ${c.alarms} (${c.alarmMetrics} alarm metrics), about $${c.monthlyUsd.toFixed(2)} a month ` +
    `at $${ALARM_METRIC_MONTHLY_USD.toFixed(2)} per alarm metric (CloudWatch list price, us-east-1)`
  );
}
