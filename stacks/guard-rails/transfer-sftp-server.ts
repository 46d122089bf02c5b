/**
 * A Transfer server that speaks SFTP has keys only (service-managed identities: no passwords),
 * no clear-text FTP or FTPS beside it, and a security policy from 2024-01 on (older ones still
 * negotiate SHA-1 MACs and key exchanges). AS2-only servers are out of scope.
 */
import { SFTP_SECURITY_POLICIES } from "../../model/sftp";
import type { GuardRailRule } from "./rule";

export const TransferSftpServerHardened: GuardRailRule = {
  id: "TransferSftpServerHardened",
  description: "SFTP servers: SFTP only, SSH keys only, a 2024-01 or newer security policy",
  appliesTo: ["aws_transfer_server"],
  check(el, ctx) {
    const c = ctx.config(el);
    const protocols = (c.protocols as string[] | undefined) ?? ["SFTP"];
    if (!protocols.some((p) => p === "SFTP" || p === "FTP" || p === "FTPS")) return [];
    const problems: string[] = [];
    const plain = protocols.filter((p) => p === "FTP" || p === "FTPS");
    if (plain.length) problems.push(`protocols include ${plain.join(" and ")}; only SFTP is allowed beside AS2`);
    const idp = String(c.identity_provider_type ?? "SERVICE_MANAGED");
    if (idp !== "SERVICE_MANAGED")
      problems.push(`identity_provider_type ${idp} can accept passwords; use SERVICE_MANAGED (SSH keys only)`);
    const auth = c.sftp_authentication_methods;
    if (auth !== undefined && auth !== "PUBLIC_KEY")
      problems.push(`sftp_authentication_methods ${String(auth)} allows passwords; use PUBLIC_KEY`);
    const policy = String(c.security_policy_name ?? "TransferSecurityPolicy-2018-11 (the default)");
    if (!(SFTP_SECURITY_POLICIES as readonly string[]).includes(policy))
      problems.push(`security_policy_name ${policy} is older than TransferSecurityPolicy-2024-01`);
    return problems;
  },
};
