/**
 * One CloudWatch dashboard per customer (issue #11): every widget references metrics the stack
 * really has: the gateway's namespace and names (model/metrics.ts) per partner, every dead-letter
 * queue the stack alarms on, the reconciler's open-work ages and the days to the nearest
 * certificate expiry it publishes.
 */
import { customerInput, customerWithPartners, SAMPLE_CERT_PEM } from "../../helpers/customer-factory";
import { synthCustomer, all } from "../helpers";
import {
  CERTIFICATE_DAYS_LEFT_METRIC,
  MESSAGES_METRIC,
  OLDEST_OPEN_WORK_METRIC,
  TIME_TO_MDN_METRIC,
} from "../../../model/metrics";

const cert = { signing: { pem: SAMPLE_CERT_PEM } };
const { tf, findings } = synthCustomer(
  customerInput({
    partners: [
      { as2Id: "PARTNER", station: "ACME", url: "https://p.example/as2", certificates: cert },
      { as2Id: "OTHER", station: "ACME", url: "https://o.example/as2", certificates: cert, test: true },
    ],
  }),
);

type Metric = (string | Record<string, unknown>)[];
interface Widget {
  properties: { title: string; metrics: Metric[] };
}
const dashboards = all(tf, "aws_cloudwatch_dashboard");
const widgets: Widget[] = dashboards.length ? JSON.parse(dashboards[0]!.dashboard_body).widgets : [];
const widget = (title: RegExp) => {
  const w = widgets.find((x) => title.test(x.properties.title));
  expect(w).toBeDefined();
  return w!.properties.metrics;
};

describe("the customer's dashboard", () => {
  it("is one dashboard, and the stack has no guard-rail findings", () => {
    expect(dashboards).toHaveLength(1);
    expect(dashboards[0]!.dashboard_name).toBe("as2-acme");
    expect(findings.errors).toEqual([]);
  });

  it("counts messages sent, received and failed per partner in the gateway's namespace", () => {
    const schema = '{"as2-transfer-gateway/acme",EventType,Partner}';
    for (const [title, filter] of [
      [/sent/, 'EventType="MESSAGE.SEND.SUCCESS"'],
      [/received/, 'EventType="MESSAGE.RECEIVED.SUCCESS"'],
      [/failed/, '(EventType="MESSAGE.SEND.FAILED" OR EventType="MESSAGE.RECEIVED.FAILED")'],
    ] as const) {
      const [[search]] = widget(title) as [[{ expression: string }]];
      expect(search.expression).toBe(`SEARCH('${schema} MetricName="${MESSAGES_METRIC}" ${filter}', 'Sum', 3600)`);
    }
    const mdn = widget(/MDN/) as [{ expression: string }][];
    expect(mdn.map(([m]) => m.expression)).toEqual(
      ["p50", "Maximum"].map(
        (stat) =>
          `SEARCH('${schema} MetricName="${TIME_TO_MDN_METRIC}" EventType="MESSAGE.SEND.SUCCESS"', '${stat}', 3600)`,
      ),
    );
  });

  it("keeps the same body size whatever the number of partners", () => {
    const many = synthCustomer(customerWithPartners(300, "acme")).tf;
    const body = (t: typeof tf) => all(t, "aws_cloudwatch_dashboard")[0]!.dashboard_body as string;
    expect(body(many).length).toBeLessThan(body(tf).length * 1.5);
  });

  it("shows the depth of every dead-letter queue the stack alarms on", () => {
    const alarmed = all(tf, "aws_cloudwatch_metric_alarm")
      .filter((a) => a.namespace === "AWS/SQS" && a.metric_name === "ApproximateNumberOfMessagesVisible")
      .map((a) => a.dimensions.QueueName);
    expect(alarmed.length).toBeGreaterThan(2);
    const shown = widget(/[Dd]ead-letter/).map((m) => {
      expect(m.slice(0, 3)).toEqual(["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName"]);
      return m[3];
    });
    expect(shown.sort()).toEqual([...new Set(alarmed)].sort());
    // Real queues of the stack (Terraform references), not names typed again.
    const queues = all(tf, "aws_sqs_queue").length;
    expect(shown.length).toBeLessThanOrEqual(queues);
  });

  it("shows the age of the oldest open work, send and receive, as the reconciler emits it", () => {
    expect(widget(/oldest open work/)).toEqual(
      ["send", "receive"].map((d) => [
        "as2-transfer-gateway/acme",
        OLDEST_OPEN_WORK_METRIC,
        "Customer",
        "acme",
        "Direction",
        d,
      ]),
    );
  });

  it("shows the days to the nearest certificate expiry as the reconciler publishes it", () => {
    expect(widget(/certificate expiry/)).toEqual([
      ["as2-transfer-gateway/acme", CERTIFICATE_DAYS_LEFT_METRIC, "Customer", "acme"],
    ]);
  });
});
