/**
 * One CloudWatch dashboard per customer: messages sent, received and failed per partner, time to
 * the MDN, dead-letter queue depths, age of the oldest open work (send and receive) and days to the
 * nearest certificate expiry. The queues and certificates are the ones the stack alarms on (found
 * among its alarms), so the dashboard shows exactly what the alarms watch; the gateway's own
 * metric names and namespace come from model/metrics.ts.
 */
import { Construct, type IConstruct } from "constructs";
import { CloudwatchDashboard } from "@cdktf/provider-aws/lib/cloudwatch-dashboard";
import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import type { Customer } from "../../model/customer";
import { FAILURE_EVENT_TYPES, type DomainEventType } from "../../model/events";
import {
  MESSAGES_METRIC,
  OLDEST_OPEN_WORK_METRIC,
  TIME_TO_MDN_METRIC,
  gatewayMetricNamespace,
} from "../../model/metrics";

export interface GatewayDashboardProps {
  readonly customer: Customer;
  readonly region: string;
  /** Where to look for the stack's alarms (dead-letter queues, certificates): the customer stack. */
  readonly alarmsIn: IConstruct;
}

type Metric = readonly unknown[];

interface Widget {
  readonly type: "metric";
  readonly width: number;
  readonly height: number;
  readonly properties: Record<string, unknown>;
}

function widget(title: string, metrics: readonly Metric[], extra: Record<string, unknown> = {}): Widget {
  return { type: "metric", width: 12, height: 6, properties: { title, metrics, view: "timeSeries", ...extra } };
}

/** The stack's alarms on `namespace`/`metricName`, by their dimensions (one per distinct set). */
function alarmedDimensions(scope: IConstruct, namespace: string, metricName: string): Record<string, string>[] {
  const seen = new Map<string, Record<string, string>>();
  for (const c of scope.node.findAll()) {
    if (!(c instanceof CloudwatchMetricAlarm)) continue;
    if (c.namespaceInput !== namespace || c.metricNameInput !== metricName) continue;
    const dims = (c.dimensionsInput ?? {}) as Record<string, string>;
    seen.set(JSON.stringify(dims), dims);
  }
  return [...seen.values()];
}

const flat = (dims: Record<string, string>) => Object.entries(dims).flat();

export class GatewayDashboard extends Construct {
  readonly dashboard: CloudwatchDashboard;
  readonly name: string;

  constructor(scope: Construct, id: string, props: GatewayDashboardProps) {
    super(scope, id);
    const ns = gatewayMetricNamespace(props.customer.name);
    const region = props.region;
    const partners = props.customer.partners.map((p) => p.as2Id);
    const perPartner = (types: readonly DomainEventType[]) =>
      partners.flatMap((p) => types.map((t) => [ns, MESSAGES_METRIC, "Partner", p, "EventType", t]));
    const sum = { stat: "Sum", period: 3600, region };
    const queues = alarmedDimensions(props.alarmsIn, "AWS/SQS", "ApproximateNumberOfMessagesVisible");
    const certificates = alarmedDimensions(props.alarmsIn, "AWS/Transfer", "DaysUntilExpiry");
    const widgets: Widget[] = [
      widget("Messages sent per partner", perPartner(["MESSAGE.SEND.SUCCESS"]), sum),
      widget("Messages received per partner", perPartner(["MESSAGE.RECEIVED.SUCCESS"]), sum),
      widget("Messages failed per partner", perPartner(FAILURE_EVENT_TYPES), sum),
      widget(
        "Seconds from transfer to MDN per partner (p50 / max)",
        partners.flatMap((p) => [
          [ns, TIME_TO_MDN_METRIC, "Partner", p, "EventType", "MESSAGE.SEND.SUCCESS", { stat: "p50" }],
          [ns, TIME_TO_MDN_METRIC, "Partner", p, "EventType", "MESSAGE.SEND.SUCCESS", { stat: "Maximum" }],
        ]),
        { period: 3600, region },
      ),
      widget(
        "Dead-letter queue depths",
        queues.map((d) => ["AWS/SQS", "ApproximateNumberOfMessagesVisible", ...flat(d)]),
        { stat: "Maximum", period: 300, region },
      ),
      widget(
        "Age of the oldest open work (seconds)",
        (["send", "receive"] as const).map((direction) => [
          ns,
          OLDEST_OPEN_WORK_METRIC,
          "Customer",
          props.customer.name,
          "Direction",
          direction,
        ]),
        { stat: "Maximum", period: 300, region },
      ),
      widget(
        "Days to the nearest certificate expiry",
        [
          ...certificates.map((d, i) => [
            "AWS/Transfer",
            "DaysUntilExpiry",
            ...flat(d),
            { id: `c${i}`, visible: false },
          ]),
          ...(certificates.length
            ? [[{ expression: `MIN([${certificates.map((_, i) => `c${i}`).join(",")}])`, label: "nearest expiry" }]]
            : []),
        ],
        { stat: "Minimum", period: 86400, region, view: "singleValue" },
      ),
    ];
    this.name = `as2-${props.customer.name}`;
    this.dashboard = new CloudwatchDashboard(this, "dashboard", {
      dashboardName: this.name,
      dashboardBody: JSON.stringify({ widgets }),
    });
  }
}
