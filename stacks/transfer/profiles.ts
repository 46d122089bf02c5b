/**
 * AS2 profiles: who is at each end of a message. A LOCAL profile per station (our AS2 ID and
 * the certificates we sign and decrypt with), a PARTNER profile per partner (its AS2 ID and the
 * certificates we verify with and encrypt to).
 */
import { Construct } from "constructs";
import { TransferProfile } from "@cdktf/provider-aws/lib/transfer-profile";
import type { Partner, Station } from "../../model/customer";
import { StationCertificates, PartnerCertificates } from "./certificates";
import { CertificateExpiryAlarms } from "./certificates-expiry";

export interface StationProfileProps {
  readonly customerName: string;
  readonly station: Station;
  readonly customerFile: string;
  readonly alarmTopicArn: string;
  /** Key-safe name of the station for resource names. */
  readonly slug: string;
}

export class StationProfile extends Construct {
  readonly profile: TransferProfile;
  readonly certificates: StationCertificates;

  constructor(scope: Construct, id: string, props: StationProfileProps) {
    super(scope, id);
    this.certificates = new StationCertificates(this, "certificates", {
      station: props.station,
      customerFile: props.customerFile,
    });
    this.profile = new TransferProfile(this, "profile", {
      as2Id: props.station.as2Id,
      profileType: "LOCAL",
      certificateIds: [
        this.certificates.signing.certificate.certificateId,
        this.certificates.encryption.certificate.certificateId,
      ],
    });
    new CertificateExpiryAlarms(this, "expiry", {
      namePrefix: `as2-${props.customerName}-station-${props.slug}`,
      owner: `station ${props.station.as2Id}`,
      certificates: [this.certificates.signing, this.certificates.encryption],
      alarmTopicArn: props.alarmTopicArn,
    });
  }
}

export interface PartnerProfileProps {
  readonly customerName: string;
  readonly partner: Partner;
  readonly customerFile: string;
  readonly alarmTopicArn: string;
  readonly slug: string;
}

export class PartnerProfile extends Construct {
  readonly profile: TransferProfile;
  readonly certificates: PartnerCertificates;

  constructor(scope: Construct, id: string, props: PartnerProfileProps) {
    super(scope, id);
    this.certificates = new PartnerCertificates(this, "certificates", {
      partner: props.partner,
      customerFile: props.customerFile,
    });
    this.profile = new TransferProfile(this, "profile", {
      as2Id: props.partner.as2Id,
      profileType: "PARTNER",
      certificateIds: [
        this.certificates.signing.certificate.certificateId,
        this.certificates.encryption.certificate.certificateId,
      ],
    });
    new CertificateExpiryAlarms(this, "expiry", {
      namePrefix: `as2-${props.customerName}-partner-${props.slug}`,
      owner: `partner ${props.partner.as2Id} (station ${props.partner.station})`,
      certificates: [this.certificates.signing, this.certificates.encryption],
      alarmTopicArn: props.alarmTopicArn,
    });
  }
}
