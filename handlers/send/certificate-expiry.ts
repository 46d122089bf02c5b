/**
 * Days to the customer's nearest certificate expiry, from the routing document's certificate list:
 * one EMF metric per reconciler run (one alarm watches it) and a warning naming each certificate
 * that is inside the alarm's window, so the operator knows which one to renew.
 */
import type { RoutingCertificate } from "../../model/routing-types";
import { CERTIFICATE_DAYS_LEFT_METRIC, gatewayMetricNamespace } from "../../model/metrics";
import { logger } from "../shared/logger";

/** Same window as the stack's alarm (stacks/transfer/certificates-expiry.ts EXPIRY_ALARM_DAYS). */
export const EXPIRY_WARNING_DAYS = 30;

export interface CertificateDays {
  readonly certificate: RoutingCertificate;
  /** Whole days left (negative once expired). */
  readonly days: number;
}

/** Each certificate with a readable end of validity and its days left, nearest first. */
export function certificateDays(certs: readonly RoutingCertificate[], now: Date): CertificateDays[] {
  return certs
    .map((certificate) => ({ certificate, end: Date.parse(certificate.notAfter) }))
    .filter((c) => Number.isFinite(c.end))
    .map((c) => ({ certificate: c.certificate, days: Math.floor((c.end - now.getTime()) / 86_400_000) }))
    .sort((a, b) => a.days - b.days);
}

/** Writes the metric (nothing when the document lists no certificate) and warns about the near ones. */
export function publishCertificateExpiry(
  customer: string,
  certs: readonly RoutingCertificate[] | undefined,
  now: Date,
): number | undefined {
  const days = certificateDays(certs ?? [], now);
  if (days.length === 0) return undefined;
  for (const d of days.filter((x) => x.days < EXPIRY_WARNING_DAYS))
    logger.warn("certificate expires soon", { ...d.certificate, daysLeft: d.days });
  process.stdout.write(
    `${JSON.stringify({
      _aws: {
        Timestamp: now.getTime(),
        CloudWatchMetrics: [
          {
            Namespace: gatewayMetricNamespace(customer),
            Dimensions: [["Customer"]],
            Metrics: [{ Name: CERTIFICATE_DAYS_LEFT_METRIC, Unit: "Count" }],
          },
        ],
      },
      Customer: customer,
      [CERTIFICATE_DAYS_LEFT_METRIC]: days[0]!.days,
    })}\n`,
  );
  return days[0]!.days;
}
