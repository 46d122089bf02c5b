/**
 * AS2 profiles: who is at each end of a message. A LOCAL profile per station (our AS2 ID and
 * the certificates we sign and decrypt with), a PARTNER profile per partner (its AS2 ID and the
 * certificates we verify with and encrypt to).
 */
import { Construct } from "constructs";
import { TransferProfile } from "@cdktf/provider-aws/lib/transfer-profile";
import type { Partner, Station } from "../../model/customer";
import { StationCertificates, PartnerCertificates } from "./certificates";

export interface StationProfileProps {
  readonly customerName: string;
  readonly station: Station;
  readonly customerFile: string;
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
    this.profile = profileOf(this, props.station.as2Id, "LOCAL", this.certificates);
  }
}

export interface PartnerProfileProps {
  readonly customerName: string;
  readonly partner: Partner;
  readonly customerFile: string;
  readonly slug: string;
}

// Mirrors StationProfile by design (same construct ids, so resource addresses stay stable); the
// shared work is profileOf below.
export class PartnerProfile extends Construct {
  readonly profile: TransferProfile;
  readonly certificates: PartnerCertificates;

  constructor(scope: Construct, id: string, props: PartnerProfileProps) {
    super(scope, id);
    this.certificates = new PartnerCertificates(this, "certificates", {
      partner: props.partner,
      customerFile: props.customerFile,
    });
    this.profile = profileOf(this, props.partner.as2Id, "PARTNER", this.certificates);
  }
}

type ProfileCertificates = StationCertificates | PartnerCertificates;

/** A Transfer profile holding its signing and encryption certificates (expiry: ./certificates-expiry). */
function profileOf(
  scope: Construct,
  as2Id: string,
  profileType: "LOCAL" | "PARTNER",
  certificates: ProfileCertificates,
): TransferProfile {
  const profile = new TransferProfile(scope, "profile", {
    as2Id,
    profileType,
    certificateIds: [certificates.signing.certificate.certificateId, certificates.encryption.certificate.certificateId],
  });
  return profile;
}
