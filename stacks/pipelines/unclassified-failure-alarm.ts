/**
 * A Transfer failure code outside AWS's documented table is handled as permanent (the file goes to
 * failed/), which is safe but can hide a new code that deserves retries. The send handlers log one
 * structured line per such code (model/failure-metric.ts); a metric filter counts those lines in the
 * functions' log groups and an alarm tells the operators, so the table gets the code added.
 */
import { Construct } from "constructs";
import { CloudwatchLogMetricFilter } from "@cdktf/provider-aws/lib/cloudwatch-log-metric-filter";
import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { UNCLASSIFIED_FAILURE_LOG_MESSAGE } from "../../model/failure-metric";
import { UNCLASSIFIED_FAILURE_METRIC, gatewayMetricNamespace } from "../../model/metrics";

export interface UnclassifiedFailureAlarmProps {
  readonly customer: string;
  /** Log groups of the functions that classify Transfer failures. */
  readonly logGroupNames: readonly string[];
  readonly alarmTopicArn: string;
}

export class UnclassifiedFailureAlarm extends Construct {
  readonly alarm: CloudwatchMetricAlarm;

  constructor(scope: Construct, id: string, props: UnclassifiedFailureAlarmProps) {
    super(scope, id);
    const namespace = gatewayMetricNamespace(props.customer);
    props.logGroupNames.forEach((logGroupName, i) => {
      new CloudwatchLogMetricFilter(this, `filter-${i}`, {
        name: `as2-${props.customer}-unclassified-failure-code`,
        logGroupName,
        // Powertools writes JSON lines; its `message` key holds the text.
        pattern: `{ $.message = "${UNCLASSIFIED_FAILURE_LOG_MESSAGE}" }`,
        metricTransformation: { name: UNCLASSIFIED_FAILURE_METRIC, namespace, value: "1", unit: "Count" },
      });
    });
    this.alarm = new CloudwatchMetricAlarm(this, "alarm", {
      alarmName: `as2-${props.customer}-unclassified-failure-code`,
      alarmDescription:
        "Transfer reported an AS2 failure code that is not in AWS's documented table (handlers/send/failure-classes.ts); " +
        "the file went to failed/. Find the code in the send function logs and add it to the table.",
      namespace,
      metricName: UNCLASSIFIED_FAILURE_METRIC,
      statistic: "Sum",
      period: 300,
      evaluationPeriods: 1,
      threshold: 0,
      comparisonOperator: "GreaterThanThreshold",
      treatMissingData: "notBreaching",
      alarmActions: [props.alarmTopicArn],
    });
  }
}
