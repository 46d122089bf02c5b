/**
 * Visibility of the transaction pipeline (issue 16): per partner, transactions received (counted
 * from the split function's log by a metric filter), processed and failed (counted by the workflow
 * itself), on one dashboard with the pipeline's dead-letter queues.
 */
import { Construct } from "constructs";
import { CloudwatchDashboard } from "@cdktf/provider-aws/lib/cloudwatch-dashboard";
import { CloudwatchLogMetricFilter } from "@cdktf/provider-aws/lib/cloudwatch-log-metric-filter";
import { FAILED_METRIC, PARTNER_DIMENSION, PROCESSED_METRIC, RECEIVED_METRIC } from "./transactions-definition";

export interface TransactionDashboardProps {
  readonly dashboardName: string;
  readonly region: string;
  readonly namespace: string;
  readonly partners: readonly string[];
  /** Log group of the split function: its "split" lines carry the partner and the count. */
  readonly splitLogGroupName: string;
  readonly stateMachineArn: string;
  readonly deadLetterQueueNames: readonly string[];
}

export class TransactionDashboard extends Construct {
  readonly dashboard: CloudwatchDashboard;

  constructor(scope: Construct, id: string, props: TransactionDashboardProps) {
    super(scope, id);
    new CloudwatchLogMetricFilter(this, "received", {
      name: `${props.dashboardName}-received`,
      logGroupName: props.splitLogGroupName,
      // handlers/pipeline/split-handler.ts logs message "split" with status, transactions, partner.
      pattern: '{ $.message = "split" && $.status = "split" }',
      metricTransformation: {
        namespace: props.namespace,
        name: RECEIVED_METRIC,
        value: "$.transactions",
        unit: "Count",
        dimensions: { [PARTNER_DIMENSION]: "$.partner" },
      },
    });
    const perPartner = (metric: string, title: string) => ({
      type: "metric",
      width: 8,
      height: 6,
      properties: {
        title,
        region: props.region,
        stat: "Sum",
        period: 300,
        view: "timeSeries",
        metrics: props.partners.map((p) => [props.namespace, metric, PARTNER_DIMENSION, p]),
      },
    });
    this.dashboard = new CloudwatchDashboard(this, "dashboard", {
      dashboardName: props.dashboardName,
      dashboardBody: JSON.stringify({
        widgets: [
          perPartner(RECEIVED_METRIC, "Transactions received per partner"),
          perPartner(PROCESSED_METRIC, "Transactions processed per partner"),
          perPartner(FAILED_METRIC, "Transactions failed per partner"),
          {
            type: "metric",
            width: 12,
            height: 6,
            properties: {
              title: "Executions",
              region: props.region,
              stat: "Sum",
              period: 300,
              metrics: ["ExecutionsSucceeded", "ExecutionsFailed", "ExecutionsTimedOut"].map((m) => [
                "AWS/States",
                m,
                "StateMachineArn",
                props.stateMachineArn,
              ]),
            },
          },
          {
            type: "metric",
            width: 12,
            height: 6,
            properties: {
              title: "Dead-letter queues (messages waiting for a redrive)",
              region: props.region,
              stat: "Maximum",
              period: 60,
              metrics: props.deadLetterQueueNames.map((q) => [
                "AWS/SQS",
                "ApproximateNumberOfMessagesVisible",
                "QueueName",
                q,
              ]),
            },
          },
        ],
      }),
    });
  }
}
