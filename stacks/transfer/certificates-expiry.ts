/**
 * Expiry alarms for the certificates imported into Transfer Family, on Transfer's own metric
 * (`DaysUntilExpiry`, namespace `AWS/Transfer`, dimensions `CertificateId` and, because we import
 * with a description, `Description`; see `certificateExpiryAlarm` in stacks/events/notifications.ts).
 * A key pair imported twice (one certificate for both usages) is alarmed once.
 */
import { Construct } from "constructs";
import type { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { certificateExpiryAlarm } from "../events/notifications";
import type { ImportedCertificate } from "./certificates";

/** Alarm this many days before a certificate expires: time to exchange a new one with partners. */
export const EXPIRY_ALARM_DAYS = 30;

export interface CertificateExpiryAlarmsProps {
  /** Alarm name prefix, unique per owner (station or partner). */
  readonly namePrefix: string;
  /** Whose certificates, for the alarm text. */
  readonly owner: string;
  readonly certificates: readonly ImportedCertificate[];
  readonly alarmTopicArn: string;
}

export class CertificateExpiryAlarms extends Construct {
  readonly alarms: readonly CloudwatchMetricAlarm[];

  constructor(scope: Construct, id: string, props: CertificateExpiryAlarmsProps) {
    super(scope, id);
    this.alarms = props.certificates
      .filter((c) => !c.sameAsSigning)
      .map((c) =>
        certificateExpiryAlarm(this, c.usage.toLowerCase(), {
          certificateId: c.certificate.certificateId,
          description: c.description,
          label: `${props.owner} ${c.usage.toLowerCase()}`,
          alarmName: `${props.namePrefix}-${c.usage.toLowerCase()}-cert-expiry`.slice(0, 255),
          alarmTopicArn: props.alarmTopicArn,
          warnDays: EXPIRY_ALARM_DAYS,
        }),
      );
  }
}
