/**
 * The trading relationships: per station a LOCAL profile, per partner a PARTNER profile, an
 * agreement (inbound, into the gateway's private directories for that station/partner) and a
 * connector (outbound, with the declared AS2 settings).
 *
 * hashicorp/aws 6.25 does not model every AS2 option. Every agreement goes through Cloud Control
 * (`aws_cloudcontrolapi_resource`, AWS::Transfer::Agreement) because it sets `CustomDirectories`,
 * which the native resource lacks; the connector (AWS::Transfer::Connector) only when it needs
 * asynchronous MDNs or basic authentication; every other connector uses the native resource, whose
 * plans are more readable. Changing such an option later replaces that one connector (new id; the
 * routing document follows).
 *
 * docs (compared 2026-12-01): CloudFormation "AWS::Transfer::Agreement" and its "CustomDirectories"
 * property type (all five directories required, pattern `(|/.*)`; "Specify either BaseDirectory or
 * CustomDirectories, but not both"); `Description` pattern `[\u0021-\u007E]+` (model/transfer-description.ts).
 */
import { Construct } from "constructs";
import { Fn, Token } from "cdktf";
import { TransferConnector } from "@cdktf/provider-aws/lib/transfer-connector";
import { CloudcontrolapiResource } from "@cdktf/provider-aws/lib/cloudcontrolapi-resource";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import type { Customer, Partner } from "../../model/customer";
import { inboundWorkPrefix, stableTag, transferPath, workSlug } from "../../model/layout";
import type { BucketRef, PartnerResources } from "../platform/context";
import { PartnerProfile, StationProfile } from "./profiles";
import { terraformJson } from "../platform/terraform-json";
import { transferDescription } from "../../model/transfer-description";

export interface TradingPartnersProps {
  readonly customer: Customer;
  readonly customerFile: string;
  readonly bucket: BucketRef;
  readonly serverId: string;
  readonly agreementRoleArn: string;
  /** One role for every connector, or the role of each partner's connector (stacks/transfer/transfer-iam.ts). */
  readonly connectorRoleArn: string | ((p: Partner) => string);
  readonly loggingRoleArn: string | ((p: Partner) => string);
  readonly kmsKeyArn: string;
  readonly alarmTopicArn: string;
  /** Where partners send asynchronous MDNs (our public AS2 URL). */
  readonly asyncMdnUrl: string;
}

export function connectorNeedsCloudControl(p: Partner): boolean {
  const o = p.outbound;
  return o.mdn === "ASYNC" || o.basicAuthSecretArn !== undefined || o.contentType === "fromUpload";
}

/** Agreement base directory: `/<bucket>/_gateway/inbound/<slug>` (the agreement role's IAM scope). */
export function agreementBaseDirectory(bucket: string, p: Pick<Partner, "station" | "as2Id">): string {
  return transferPath(bucket, inboundWorkPrefix({ station: p.station, partner: p.as2Id }).replace(/\/$/, ""));
}

/**
 * The agreement's five custom directories, all under its base directory (so the agreement role's
 * scope, `_gateway/inbound/`, covers them and no file of Transfer's reaches a folder users read).
 * Payload, status and MDN share `processed/`, failed payloads go to `failed/`: the same places and
 * names as with `BaseDirectory` (DESIGN.md, file names), which the receive handlers' fallbacks
 * (status and MDN beside the payload) rely on; Transfer's temporary files get their own folder.
 */
export function agreementCustomDirectories(bucket: string, p: Pick<Partner, "station" | "as2Id">) {
  const base = agreementBaseDirectory(bucket, p);
  return {
    PayloadFilesDirectory: `${base}/processed`,
    StatusFilesDirectory: `${base}/processed`,
    MdnFilesDirectory: `${base}/processed`,
    FailedFilesDirectory: `${base}/failed`,
    TemporaryFilesDirectory: `${base}/temporary`,
  };
}

const enabled = (b: boolean) => (b ? "ENABLED" : "DISABLED");
const propertyOf = (r: CloudcontrolapiResource, name: string) =>
  Token.asString(Fn.lookup(Fn.jsondecode(r.properties), name));

export class TradingPartners extends Construct {
  readonly stations = new Map<string, StationProfile>();
  readonly partners: TradingPartner[] = [];

  constructor(scope: Construct, id: string, props: TradingPartnersProps) {
    super(scope, id);
    const { customer } = props;
    for (const station of customer.stations) {
      const slug = stationSlug(station.as2Id);
      this.stations.set(
        station.as2Id,
        new StationProfile(this, `station-${slug}`, {
          customerName: customer.name,
          station,
          customerFile: props.customerFile,
          slug,
        }),
      );
    }
    for (const partner of customer.partners) {
      const local = this.stations.get(partner.station)!;
      this.partners.push(
        new TradingPartner(this, `partner-${workSlug({ station: partner.station, partner: partner.as2Id })}`, {
          ...props,
          partner,
          localProfileId: local.profile.profileId,
        }),
      );
    }
  }

  /** What the other constructs and the routing document need, per partner. */
  resources(): PartnerResources[] {
    return this.partners.map((p) => p.resources);
  }
}

/** Key-safe, stable name of a station for construct ids and alarm names. */
export function stationSlug(as2Id: string): string {
  return `${as2Id.replace(/[^A-Za-z0-9._-]/g, "_").slice(0, 40)}-${stableTag(as2Id)}`;
}

export interface TradingPartnerProps extends TradingPartnersProps {
  readonly partner: Partner;
  readonly localProfileId: string;
}

/** One partner: its profile, agreement, connector and the connector's log group. */
export class TradingPartner extends Construct {
  readonly profile: PartnerProfile;
  readonly agreement: CloudcontrolapiResource;
  readonly connector: TransferConnector | CloudcontrolapiResource;
  readonly resources: PartnerResources;

  constructor(scope: Construct, id: string, props: TradingPartnerProps) {
    super(scope, id);
    const { partner: p, customer } = props;
    const slug = workSlug({ station: p.station, partner: p.as2Id });
    this.profile = new PartnerProfile(this, "profile", {
      customerName: customer.name,
      partner: p,
      customerFile: props.customerFile,
      slug,
    });
    const partnerProfileId = this.profile.profile.profileId;
    const description = transferDescription(`${p.as2Id}->${p.station}`);

    const agreement = new CloudcontrolapiResource(this, "agreement", {
      typeName: "AWS::Transfer::Agreement",
      desiredState: terraformJson({
        ServerId: props.serverId,
        LocalProfileId: props.localProfileId,
        PartnerProfileId: partnerProfileId,
        CustomDirectories: agreementCustomDirectories(props.bucket.name, p),
        AccessRole: props.agreementRoleArn,
        Status: "ACTIVE",
        Description: description,
        PreserveFilename: enabled(p.inbound.preserveFilename),
        EnforceMessageSigning: enabled(p.inbound.enforceMessageSigning),
      }),
    });
    this.agreement = agreement;
    const agreementId = propertyOf(agreement, "AgreementId");
    const agreementArn = propertyOf(agreement, "Arn");

    const o = p.outbound;
    const connectorRoleArn =
      typeof props.connectorRoleArn === "string" ? props.connectorRoleArn : props.connectorRoleArn(p);
    const loggingRoleArn = typeof props.loggingRoleArn === "string" ? props.loggingRoleArn : props.loggingRoleArn(p);
    let connectorId: string, connectorArn: string;
    if (connectorNeedsCloudControl(p)) {
      const r = new CloudcontrolapiResource(this, "connector", {
        typeName: "AWS::Transfer::Connector",
        desiredState: terraformJson({
          Url: p.url,
          AccessRole: connectorRoleArn,
          LoggingRole: loggingRoleArn,
          As2Config: {
            LocalProfileId: props.localProfileId,
            PartnerProfileId: partnerProfileId,
            SigningAlgorithm: o.signing,
            EncryptionAlgorithm: o.encryption,
            Compression: o.compression,
            MdnResponse: o.mdn,
            MdnSigningAlgorithm: o.mdnSigning,
            ...(o.subject !== undefined ? { MessageSubject: o.subject } : {}),
            ...(o.basicAuthSecretArn ? { BasicAuthSecretId: o.basicAuthSecretArn } : {}),
            ...(o.mdn === "ASYNC" ? { AsyncMdnConfig: { Url: props.asyncMdnUrl, ServerIds: [props.serverId] } } : {}),
            // Off when a connector is created through the API (on only from the console): API reference, As2ConnectorConfig.
            PreserveContentType: enabled(o.contentType === "fromUpload"),
          },
        }),
      });
      this.connector = r;
      connectorId = propertyOf(r, "ConnectorId");
      connectorArn = propertyOf(r, "Arn");
    } else {
      const c = new TransferConnector(this, "connector", {
        url: p.url,
        accessRole: connectorRoleArn,
        loggingRole: loggingRoleArn,
        as2Config: {
          localProfileId: props.localProfileId,
          partnerProfileId,
          signingAlgorithm: o.signing,
          encryptionAlgorithm: o.encryption,
          compression: o.compression,
          mdnResponse: o.mdn,
          mdnSigningAlgorithm: o.mdnSigning,
          ...(o.subject !== undefined ? { messageSubject: o.subject } : {}),
        },
      });
      this.connector = c;
      connectorId = c.connectorId;
      connectorArn = c.arn;
    }
    // Transfer logs a connector to /aws/transfer/<connector-id>: declared here for retention and encryption.
    new CloudwatchLogGroup(this, "connector-logs", {
      name: `/aws/transfer/${connectorId}`,
      retentionInDays: customer.logRetentionDays,
      kmsKeyId: props.kmsKeyArn,
    });

    this.resources = {
      station: p.station,
      partner: p.as2Id,
      test: p.test,
      connectorId,
      connectorArn,
      agreementId,
      agreementArn,
    };
  }
}
