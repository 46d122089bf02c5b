/**
 * What a person needs after `cdktf deploy`: where partners send AS2 messages, the addresses to
 * give them for their firewalls, the public certificates to give them, and the ids of the
 * connectors and agreements (for the console, the CLI and support cases).
 */
import { Construct } from "constructs";
import { TerraformOutput } from "cdktf";
import type { As2Server } from "../transfer/as2-server";
import type { TradingPartners } from "../transfer/trading-partners";
import type { BucketRef } from "./context";

export interface GatewayOutputsProps {
  readonly server: As2Server;
  readonly tradingPartners: TradingPartners;
  readonly bucket: BucketRef;
  readonly kmsKeyArn: string;
}

/** Output names: part of the contract with whoever reads `cdktf output` (README). */
export const OUTPUT_NAMES = [
  "as2_server_id",
  "as2_endpoint_urls",
  "as2_https_url",
  "elastic_ips",
  "station_certificates",
  "connector_ids",
  "agreement_ids",
  "bucket",
  "kms_key_arn",
] as const;

export class GatewayOutputs extends Construct {
  constructor(scope: Construct, id: string, props: GatewayOutputsProps) {
    // Outputs are named at the stack level: their names are the contract, not construct paths.
    super(scope, id);
    const stack = scope;
    const { server, tradingPartners } = props;
    new TerraformOutput(stack, "as2_server_id", { value: server.server.id, description: "Transfer Family server id" });
    new TerraformOutput(stack, "as2_endpoint_urls", {
      value: server.httpUrls,
      description: "AS2 URLs partners send to (HTTP, port 5080): the server endpoint, then one per Elastic IP",
    });
    new TerraformOutput(stack, "as2_https_url", {
      value: server.httpsUrl ?? "",
      description:
        "AS2 over HTTPS through the network load balancer (empty without network.httpsCertificateArn); point your certificate's DNS name at it",
    });
    new TerraformOutput(stack, "elastic_ips", {
      value: server.elasticIps.map((e) => e.publicIp),
      description: "public addresses of the AS2 server, for partners' firewalls (empty without network.elasticIps)",
    });
    const certificates: Record<string, { signing: string; encryption: string }> = {};
    for (const [as2Id, station] of tradingPartners.stations) {
      certificates[as2Id] = {
        signing: station.certificates.signing.publicPem,
        encryption: station.certificates.encryption.publicPem,
      };
    }
    new TerraformOutput(stack, "station_certificates", {
      value: certificates,
      description: "per station AS2 ID: the public certificates (PEM) to give partners",
    });
    const byPartner = (pick: (r: ReturnType<TradingPartners["resources"]>[number]) => string) =>
      Object.fromEntries(tradingPartners.resources().map((r) => [`${r.station}/${r.partner}`, pick(r)]));
    new TerraformOutput(stack, "connector_ids", {
      value: byPartner((r) => r.connectorId),
      description: "per station/partner: connector id (outbound)",
    });
    new TerraformOutput(stack, "agreement_ids", {
      value: byPartner((r) => r.agreementId),
      description: "per station/partner: agreement id (inbound)",
    });
    new TerraformOutput(stack, "bucket", { value: props.bucket.name, description: "the gateway's bucket" });
    new TerraformOutput(stack, "kms_key_arn", {
      value: props.kmsKeyArn,
      description: "the key that encrypts the bucket, queues and logs",
    });
  }
}
