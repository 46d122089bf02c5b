/**
 * One alarm per customer on the days left before its nearest certificate expires. The routing
 * document lists every certificate Transfer holds for the customer with its end of validity
 * (parsed at synth, or the generated certificate's `validity_end_time`); the send reconciler
 * publishes the minimum every run (model/metrics.ts CERTIFICATE_DAYS_LEFT_METRIC) and logs which certificate
 * it is. One alarm instead of one per certificate: ~1000 fewer alarms (and ~$100 a month) at 1000
 * partners, and nothing to synthesize per partner.
 */
import { Construct } from "constructs";
import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import type { RoutingCertificate } from "../../model/routing-types";
import { CERTIFICATE_DAYS_LEFT_METRIC, gatewayMetricNamespace } from "../../model/metrics";
import type { ImportedCertificate } from "./certificates";
import type { TradingPartners } from "./trading-partners";

/** Alarm this many days before a certificate expires: time to exchange a new one with partners. */
export const EXPIRY_ALARM_DAYS = 30;

/** Every certificate of the customer's stations and partners, imported once per key pair. */
export function routingCertificates(tp: TradingPartners): RoutingCertificate[] {
  const entries = (owner: string, certs: readonly ImportedCertificate[]) =>
    certs.filter((c) => !c.sameAsSigning && c.notAfter).map((c) => ({ owner, usage: c.usage, notAfter: c.notAfter! }));
  return [
    ...[...tp.stations.entries()].flatMap(([as2Id, s]) =>
      entries(`station/${as2Id}`, [s.certificates.signing, s.certificates.encryption]),
    ),
    ...tp.partners.flatMap((p) =>
      entries(`partner/${p.resources.station}/${p.resources.partner}`, [
        p.profile.certificates.signing,
        p.profile.certificates.encryption,
      ]),
    ),
  ];
}

export interface CertificateExpiryAlarmProps {
  readonly customerName: string;
  readonly alarmTopicArn: string;
}

export class CertificateExpiryAlarm extends Construct {
  readonly alarm: CloudwatchMetricAlarm;

  constructor(scope: Construct, id: string, props: CertificateExpiryAlarmProps) {
    super(scope, id);
    this.alarm = new CloudwatchMetricAlarm(this, "alarm", {
      alarmName: `as2-${props.customerName}-certificate-expiry`,
      alarmDescription:
        `A certificate of ${props.customerName} expires in less than ${EXPIRY_ALARM_DAYS} days. The send reconciler's log ` +
        `(/aws/lambda/as2-${props.customerName}-send-reconciler) names it ("certificate expires soon"): renew it, declare the new one in the customer file, deploy, and give ` +
        "partners the new public certificate.",
      namespace: gatewayMetricNamespace(props.customerName),
      metricName: CERTIFICATE_DAYS_LEFT_METRIC,
      dimensions: { Customer: props.customerName },
      statistic: "Minimum",
      period: 3600,
      evaluationPeriods: 1,
      threshold: EXPIRY_ALARM_DAYS,
      comparisonOperator: "LessThanThreshold",
      // A silent send reconciler already raises its own alarm (oldest open send work, missing data breaching).
      treatMissingData: "notBreaching",
      alarmActions: [props.alarmTopicArn],
      okActions: [props.alarmTopicArn],
    });
  }
}
