/**
 * One CloudWatch dashboard per customer: messages sent, received and failed per partner, time to
 * the MDN, dead-letter queue depths, age of the oldest open work (send and receive) and days to the
 * nearest certificate expiry. The queues are the ones the stack alarms on (found among its alarms),
 * so the dashboard shows exactly what the alarms watch; per-partner lines are SEARCH expressions,
 * so the body does not grow with partners; the gateway's own metric names and namespace come from
 * model/metrics.ts.
 */
import { Construct, type IConstruct } from "constructs";
import { CloudwatchDashboard } from "@cdktf/provider-aws/lib/cloudwatch-dashboard";
import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import type { Customer } from "../../model/customer";
import { FAILURE_EVENT_TYPES, type DomainEventType } from "../../model/events";
import {
  CERTIFICATE_DAYS_LEFT_METRIC,
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
    const sum = { period: 3600, region };
    const queues = alarmedDimensions(props.alarmsIn, "AWS/SQS", "ApproximateNumberOfMessagesVisible");
    const widgets: Widget[] = [
      widget("Messages sent per partner", [perPartner(ns, MESSAGES_METRIC, ["MESSAGE.SEND.SUCCESS"], "Sum", "s")], sum),
      widget(
        "Messages received per partner",
        [perPartner(ns, MESSAGES_METRIC, ["MESSAGE.RECEIVED.SUCCESS"], "Sum", "r")],
        sum,
      ),
      widget("Messages failed per partner", [perPartner(ns, MESSAGES_METRIC, FAILURE_EVENT_TYPES, "Sum", "f")], sum),
      widget(
        "Seconds to the MDN per partner (p50 / max)",
        [
          perPartner(ns, TIME_TO_MDN_METRIC, ["MESSAGE.SEND.SUCCESS"], "p50", "m50"),
          perPartner(ns, TIME_TO_MDN_METRIC, ["MESSAGE.SEND.SUCCESS"], "Maximum", "mmax"),
        ],
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
        [[ns, CERTIFICATE_DAYS_LEFT_METRIC, "Customer", props.customer.name]],
        { stat: "Minimum", period: 3600, region, view: "singleValue" },
      ),
    ];
    this.name = `as2-${props.customer.name}`;
    this.dashboard = new CloudwatchDashboard(this, "dashboard", {
      dashboardName: this.name,
      dashboardBody: JSON.stringify({ widgets }),
    });
  }
}

/**
 * One line per partner, found by CloudWatch when the dashboard is drawn (a SEARCH expression):
 * the body stays the same size at 1 or 1000 partners, and a partner added later shows up without
 * a deploy. Namespace and names with characters other than letters, digits and `_` are quoted
 * (CloudWatch user guide, "CloudWatch search expression syntax"); a search returns at most 500
 * time series.
 */
export function perPartner(
  namespace: string,
  metricName: string,
  eventTypes: readonly DomainEventType[],
  stat: string,
  id: string,
): Metric {
  const types = eventTypes.map((t) => `EventType="${t}"`).join(" OR ");
  const filter = eventTypes.length > 1 ? `(${types})` : types;
  return [
    {
      expression: `SEARCH('{"${namespace}",EventType,Partner} MetricName="${metricName}" ${filter}', '${stat}', 3600)`,
      id,
      label: "",
    },
  ];
}
