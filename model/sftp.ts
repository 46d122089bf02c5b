/**
 * The optional `sftp` section of a customer: an SFTP server over the same folders as S3, for
 * systems that cannot call S3 (role `system`) and for trading partners that drop batch files
 * (role `partner`, one drop folder each).
 *
 * Transfer facts relied on (AWS Transfer Family user guide, compared 2026-12-01):
 * - "Security policies for AWS Transfer Family servers": policy names; 2024-01 is the current
 *   default of the API (CloudFormation still defaults to 2018-11, so the stack always sets one).
 * - "Managing SSH and PGP keys": service-managed users take OpenSSH public keys of types
 *   ssh-rsa (RSA, we require >= 2048 bits), ecdsa-sha2-nistp256/384/521 and ssh-ed25519.
 * - "Create an internet-facing endpoint": an internet-facing server is EndpointType VPC with one
 *   Elastic IP per subnet (AddressAllocationIds), reachable through its security group.
 */
import { z } from "zod";
import { cidr } from "./primitives";
import type { Customer, Partner, Station } from "./customer";
import { LONGEST_BUCKET, SESSION_POLICY_MAX_CHARS, sessionPolicyJson, sftpUserView } from "./sftp-access";

/** Policies from 2024-01 on; older ones still allow SHA-1 MACs and key exchanges. */
export const SFTP_SECURITY_POLICIES = [
  "TransferSecurityPolicy-2024-01",
  "TransferSecurityPolicy-2025-03",
  "TransferSecurityPolicy-FIPS-2024-01",
  "TransferSecurityPolicy-FIPS-2024-05",
  "TransferSecurityPolicy-FIPS-2025-03",
  "TransferSecurityPolicy-Restricted-2024-06",
  "TransferSecurityPolicy-SshAuditCompliant-2025-02",
] as const;

export const SSH_KEY_TYPES = [
  "ssh-rsa",
  "ssh-ed25519",
  "ecdsa-sha2-nistp256",
  "ecdsa-sha2-nistp384",
  "ecdsa-sha2-nistp521",
] as const;

/** Folders of the user-facing tree a user may be allowed to delete in. */
export const SFTP_DELETABLE = ["send", "inbox", "outbox", "failed", "drop"] as const;
export type SftpDeletable = (typeof SFTP_DELETABLE)[number];

const PRIVATE_KEY = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----|PuTTY-User-Key-File/;

/** Why an OpenSSH public key line is unusable, or undefined when it is fine. */
export function sshPublicKeyProblem(line: string): string | undefined {
  if (PRIVATE_KEY.test(line))
    return "this is a PRIVATE key: give the public key instead (`ssh-keygen -y -f <key file>` prints it); never put private keys in a customer file";
  const parts = line.trim().split(/\s+/);
  const [type, body] = parts;
  if (!type || !body) return "an OpenSSH public key line: '<type> <base64> [comment]'";
  if (!(SSH_KEY_TYPES as readonly string[]).includes(type))
    return `key type '${type}' is not accepted by Transfer; expected one of ${SSH_KEY_TYPES.join(", ")}`;
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(body)) return "the key body is not base64";
  const blob = Buffer.from(body, "base64");
  const fields = sshStrings(blob);
  if (!fields || fields[0]?.toString("latin1") !== type)
    return `the key body does not hold a '${type}' key (damaged or truncated copy?)`;
  if (type === "ssh-ed25519" && fields.length !== 2) return "the ssh-ed25519 key body is incomplete";
  if (type === "ssh-ed25519" && fields[1]!.length !== 32) return "an ssh-ed25519 key has 32 bytes";
  if (type.startsWith("ecdsa-") && (fields.length !== 3 || fields[1]!.toString("latin1") !== type.slice(11)))
    return `the ${type} key body is incomplete or names another curve`;
  if (type === "ssh-rsa") {
    const modulus = fields[2];
    if (!modulus) return "the RSA key has no modulus";
    const bits = rsaBits(modulus);
    if (bits < 2048) return `RSA keys need at least 2048 bits, found ${bits}`;
  }
  return undefined;
}

/** The length-prefixed strings of an SSH wire-format blob, or undefined when it is malformed. */
function sshStrings(blob: Buffer): Buffer[] | undefined {
  const out: Buffer[] = [];
  let at = 0;
  while (at < blob.length) {
    if (at + 4 > blob.length) return undefined;
    const len = blob.readUInt32BE(at);
    at += 4;
    if (at + len > blob.length) return undefined;
    out.push(blob.subarray(at, at + len));
    at += len;
  }
  return out;
}

function rsaBits(modulus: Buffer): number {
  let i = 0;
  while (i < modulus.length && modulus[i] === 0) i++;
  if (i === modulus.length) return 0;
  return (modulus.length - i - 1) * 8 + (32 - Math.clz32(modulus[i]!));
}

const sshPublicKey = z.string().superRefine((line, ctx) => {
  const problem = sshPublicKeyProblem(line);
  if (problem) ctx.addIssue({ code: "custom", message: problem, input: line.slice(0, 40) });
});

/** Transfer user names: 3-100 characters of `[\w@.-]`, not starting with '-' (CreateUser API). */
const userName = z
  .string()
  .regex(/^[\w][\w@.-]{2,99}$/, "3-100 letters, digits, '_', '@', '.' or '-', not starting with '-' or '.'");

const userBase = {
  name: userName,
  publicKeys: z.array(sshPublicKey).min(1, "give at least one OpenSSH public key"),
  sourceCidrs: z.array(cidr).default([]).describe("addresses this user connects from (security group on port 22)"),
  canDelete: z
    .array(z.enum(SFTP_DELETABLE))
    .default([])
    .describe("folders where this user may delete files; @default none (deleting is an explicit grant)"),
};

export const sftpUserSchema = z.discriminatedUnion("role", [
  z.strictObject({
    ...userBase,
    role: z.literal("system"),
    stations: z
      .array(z.string())
      .optional()
      .describe("AS2 IDs of the stations whose tree this user sees; @default every station"),
  }),
  z.strictObject({
    ...userBase,
    role: z.literal("partner"),
    partner: z.string().describe("AS2 ID of the declared partner this user drops files for"),
  }),
]);
export type SftpUser = z.infer<typeof sftpUserSchema>;

export const sftpSchema = z.strictObject({
  endpoint: z
    .enum(["internet", "vpc"])
    .default("internet")
    .describe(
      "internet: VPC endpoint with one Elastic IP per subnet of `network`; vpc: reachable from inside the VPC only",
    ),
  hostName: z
    .string()
    .regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, "a DNS name such as sftp.example.com")
    .optional()
    .describe("custom host name shown to users (Transfer's custom hostname tag)"),
  route53ZoneId: z
    .string()
    .regex(/^Z[A-Z0-9]{1,31}$/, "a Route 53 hosted zone id (Z...)")
    .optional()
    .describe("with hostName: create the DNS record in this zone"),
  hostKey: z
    .strictObject({
      secretsManagerArn: z
        .string()
        .regex(/^arn:aws[a-z-]*:secretsmanager:/, "a Secrets Manager secret ARN")
        .describe("secret string = the host private key (OpenSSH or PEM); never inline"),
    })
    .optional()
    .describe("@default Transfer generates a host key"),
  securityPolicy: z.enum(SFTP_SECURITY_POLICIES).default("TransferSecurityPolicy-2024-01"),
  sessionLogging: z.boolean().default(true).describe("structured session logs in CloudWatch"),
  allowedCidrs: z.array(cidr).default([]).describe("extra sources allowed on port 22"),
  allowFromAnywhere: z.boolean().default(false).describe("open port 22 to 0.0.0.0/0 (explicit opt-in)"),
  users: z.array(sftpUserSchema).min(1, "declare at least one SFTP user"),
});
export type SftpConfig = z.output<typeof sftpSchema>;
export type SftpInput = SftpConfig;

type Issue = Parameters<z.RefinementCtx["addIssue"]>[0];

/** Checks that need the rest of the customer: stations and partners named by users exist. */
export function sftpCrossChecks(
  sftp: SftpConfig,
  layout: Customer["layout"],
  stations: readonly Station[],
  partners: readonly Partner[],
  ctx: z.RefinementCtx,
): void {
  const add = (i: Issue) => ctx.addIssue(i);
  const stationIds = new Set(stations.map((s) => s.as2Id));
  const partnerIds = new Set(partners.map((p) => p.as2Id));
  const names = new Map<string, number>();
  sftp.users.forEach((u, i) => {
    const lower = u.name.toLowerCase();
    const prev = names.get(lower);
    if (prev !== undefined)
      add({
        code: "custom",
        path: ["sftp", "users", i, "name"],
        message: `user name '${u.name}' is already used by sftp.users.${prev} (Transfer user names are case-insensitive)`,
        input: u.name,
      });
    else names.set(lower, i);
    if (u.role === "system")
      (u.stations ?? []).forEach((s, j) => {
        if (!stationIds.has(s))
          add({
            code: "custom",
            path: ["sftp", "users", i, "stations", j],
            message: `station '${s}' is not declared; expected one of: ${[...stationIds].map((x) => `'${x}'`).join(", ")}`,
            input: s,
          });
      });
    if (u.role === "partner" && !partnerIds.has(u.partner))
      add({
        code: "custom",
        path: ["sftp", "users", i, "partner"],
        message: `partner '${u.partner}' is not declared; a partner user drops files for a declared partner`,
        input: u.partner,
      });
    if (u.role === "system" && u.canDelete.includes("drop"))
      add({
        code: "custom",
        path: ["sftp", "users", i, "canDelete"],
        message: "'drop' applies to partner users only; a system user has no drop folder",
        input: u.canDelete,
      });
  });
  const namesOk = sftp.users.every((u) =>
    u.role === "partner" ? partnerIds.has(u.partner) : (u.stations ?? []).every((s) => stationIds.has(s)),
  );
  if (namesOk)
    sftp.users.forEach((u, i) => {
      const customer = { layout, stations, partners } as unknown as Customer;
      const size = sessionPolicyJson(sftpUserView(customer, u, LONGEST_BUCKET).statements).length;
      if (size > SESSION_POLICY_MAX_CHARS)
        add({
          code: "custom",
          path: ["sftp", "users", i, u.role === "system" ? "stations" : "canDelete"],
          message: `this user's session policy would have up to ${size} characters, Transfer allows ${SESSION_POLICY_MAX_CHARS}: list fewer stations for it, or split it into two users`,
          input: u.name,
        });
    });
  if (sftp.allowFromAnywhere && sftp.allowedCidrs.length > 0)
    add({
      code: "custom",
      path: ["sftp", "allowedCidrs"],
      message: "allowFromAnywhere already opens port 22 to everyone; remove allowedCidrs or allowFromAnywhere",
      input: sftp.allowedCidrs,
    });
  if (sftp.route53ZoneId && !sftp.hostName)
    add({
      code: "custom",
      path: ["sftp", "route53ZoneId"],
      message: "route53ZoneId needs hostName: the record's name",
      input: sftp.route53ZoneId,
    });
}
