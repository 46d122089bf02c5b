/** What a person sees after a successful synth: enough to act on without opening the JSON. */
import { sftpUserView } from "./sftp-access";
import type { Customer } from "./customer";
import { sendPrefix, folderPrefix } from "./layout";
import { stackName } from "./customer";

export function customerSummary(c: Customer, file: string, outputFile: string): string {
  const lines: string[] = [];
  lines.push(`customer ${c.name} (${file}) → ${outputFile}`);
  lines.push(
    `  region ${c.region}, layout ${c.layout}, ${c.stations.length} station(s), ${c.partners.length} partner(s)`,
  );
  for (const s of c.stations) {
    lines.push(`  station ${s.as2Id}`);
    const partners = c.partners.filter((p) => p.station === s.as2Id);
    if (partners.length === 0) lines.push("    (no partners)");
    for (const p of partners) {
      const route = { station: s.as2Id, partner: p.as2Id, test: p.test };
      const flags = [p.test ? "TEST" : "", p.enabled ? "" : "DISABLED"].filter(Boolean).join(", ");
      lines.push(`    partner ${p.as2Id}${flags ? ` [${flags}]` : ""} ${p.url}`);
      lines.push(`      send:    s3://<bucket>/${sendPrefix(route)}`);
      lines.push(`      inbox:   s3://<bucket>/${folderPrefix(c.layout, route, "inbox")}`);
    }
  }
  const reach = [
    c.network.elasticIps ? "Elastic IPs" : "VPC endpoint only (no Elastic IPs)",
    c.network.httpsCertificateArn ? "HTTPS load balancer on 443" : "HTTP 5080",
  ].join(", ");
  lines.push(`  AS2 server: ${reach}`);
  if (c.sftp) {
    lines.push(`  SFTP server (${c.sftp.endpoint}, ${c.sftp.securityPolicy}), users see the same paths as S3:`);
    for (const u of c.sftp.users)
      lines.push(`    ${u.name} (${u.role}): ${sftpUserView(c, u, { name: "<bucket>", arn: "" }).folders.join(", ")}`);
  }
  lines.push(
    `  after deploy, give partners: as2_endpoint_urls${c.network.httpsCertificateArn ? " / as2_https_url" : ""}${c.network.elasticIps ? ", elastic_ips" : ""}, station_certificates (npx cdktf output ${stackName(c.name)})`,
  );
  return lines.join("\n");
}
