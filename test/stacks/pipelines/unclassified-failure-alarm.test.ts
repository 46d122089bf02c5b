/** An unknown Transfer failure code is counted from the send functions' logs and raises an alarm. */
import { customerInput, SAMPLE_CERT_PEM } from "../../helpers/customer-factory";
import { synthCustomer, all } from "../helpers";
import { UNCLASSIFIED_FAILURE_LOG_MESSAGE, UNCLASSIFIED_FAILURE_METRIC } from "../../../model/failure-metric";

const { tf, findings } = synthCustomer(
  customerInput({
    partners: [
      {
        as2Id: "PARTNER",
        station: "ACME",
        url: "https://p.example/as2",
        certificates: { signing: { pem: SAMPLE_CERT_PEM } },
      },
    ],
  }),
);

describe("unclassified failure code alarm", () => {
  it("counts the handlers' log line in the result and settle log groups", () => {
    const filters = all(tf, "aws_cloudwatch_log_metric_filter").filter(
      (f) => f.metric_transformation.name === UNCLASSIFIED_FAILURE_METRIC,
    );
    expect(filters).toHaveLength(2);
    for (const f of filters) {
      expect(f.pattern).toBe(`{ $.message = "${UNCLASSIFIED_FAILURE_LOG_MESSAGE}" }`);
      expect(f.metric_transformation).toMatchObject({ name: UNCLASSIFIED_FAILURE_METRIC, value: "1" });
    }
    expect(filters.map((f) => String(f.log_group_name)).sort()).toEqual([
      expect.stringMatching(/aws_cloudwatch_log_group\.send_result/),
      expect.stringMatching(/aws_cloudwatch_log_group\.send_settle/),
    ]);
  });
  it("alarms to the operators' topic on the first one", () => {
    const alarm = all(tf, "aws_cloudwatch_metric_alarm").find((a) => a.metric_name === UNCLASSIFIED_FAILURE_METRIC);
    expect(alarm).toMatchObject({
      namespace: "as2-transfer-gateway/acme",
      threshold: 0,
      comparison_operator: "GreaterThanThreshold",
      alarm_actions: [expect.stringMatching(/aws_sns_topic/)],
    });
    expect(findings.errors).toEqual([]);
  });
});
