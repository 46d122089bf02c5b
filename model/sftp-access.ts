/**
 * What each SFTP user sees and may do, computed from the customer and the S3 layout (pure: no
 * constructs), so the stack, the synth-time checks, the tests and the docs agree on one answer.
 *
 * Users get LOGICAL home directories (Transfer's "logical directories": the user is chrooted to
 * the virtual tree the mappings build) that reproduce the S3 layout of the customer's preset:
 * a system user sees `/AS2/send/<st>/` and `/AS2/files/<st>/` (or `/as2gateway/<st>/`) of its
 * stations, nothing else; a partner user sees its drop folder as `/`. `_gateway/` never appears.
 *
 * What a user may do there is a session policy (Transfer's per-user scope-down policy, at most
 * 2048 characters): send folders writable, routed folders read-only, deleting only where the
 * customer granted it. The role all users share only bounds these to the user-facing roots.
 */
import type { Customer } from "./customer";
import type { SftpDeletable, SftpUser } from "./sftp";
import {
  DROP_PREFIX,
  SEND_PREFIX,
  dropPrefix,
  filesRoot,
  stationFilesPrefix,
  stationFolderPattern,
  stationSendPrefix,
  type Folder,
} from "./layout";

/** An IAM Allow statement (the shape stacks/pipelines/gateway-function.ts renders). */
export interface PolicyStatement {
  readonly sid?: string;
  readonly actions: readonly string[];
  readonly resources: readonly string[];
  readonly conditions?: Record<string, Record<string, string | readonly string[]>>;
}

/** Transfer's limit on a session policy (CreateUser `Policy`). */
export const SESSION_POLICY_MAX_CHARS = 2048;

export interface HomeMapping {
  /** Path the user sees. */
  readonly entry: string;
  /** `/<bucket>/<prefix>` it maps to. */
  readonly target: string;
}

export interface SftpUserView {
  readonly mappings: readonly HomeMapping[];
  /** Session policy statements (Allow), with `bucketArn` as given. */
  readonly statements: readonly PolicyStatement[];
  /** Key prefixes this user sees, for the outputs and the README. */
  readonly folders: readonly string[];
}

const ROUTED: readonly Folder[] = ["inbox", "outbox", "failed"];

function withoutSlash(prefix: string): string {
  return prefix.replace(/\/$/, "");
}

/** The stations a system user sees: those it lists, or every station. */
export function userStations(customer: Customer, user: Extract<SftpUser, { role: "system" }>): string[] {
  return user.stations?.length ? [...user.stations] : customer.stations.map((s) => s.as2Id);
}

export function sftpUserView(
  customer: Customer,
  user: SftpUser,
  bucket: { readonly name: string; readonly arn: string },
): SftpUserView {
  const obj = (pattern: string) => `${bucket.arn}/${pattern}`;
  const may = (what: SftpDeletable) => user.canDelete.includes(what);
  if (user.role === "partner") {
    const partner = customer.partners.find((p) => p.as2Id === user.partner)!;
    const drop = dropPrefix({ station: partner.station, partner: partner.as2Id, test: partner.test });
    return {
      mappings: [{ entry: "/", target: `/${bucket.name}/${withoutSlash(drop)}` }],
      folders: [drop],
      statements: [
        listing(bucket.arn, [drop]),
        { sid: "DropFolder", actions: ["s3:PutObject", "s3:GetObject"], resources: [obj(`${drop}*`)] },
        ...(may("drop") ? [{ sid: "DeleteInDrop", actions: ["s3:DeleteObject"], resources: [obj(`${drop}*`)] }] : []),
      ],
    };
  }
  const stations = userStations(customer, user);
  const send = stations.map(stationSendPrefix);
  const files = stations.map((s) => stationFilesPrefix(customer.layout, s));
  const deletable = [
    ...(may("send") ? send.map((p) => obj(`${p}*`)) : []),
    ...stations.flatMap((s) =>
      ROUTED.filter((f) => may(f)).map((f) => obj(stationFolderPattern(customer.layout, s, f))),
    ),
  ];
  return {
    mappings: [...send, ...files].map((p) => ({
      entry: `/${withoutSlash(p)}`,
      target: `/${bucket.name}/${withoutSlash(p)}`,
    })),
    folders: [...send, ...files],
    statements: [
      listing(bucket.arn, [...send, ...files]),
      { sid: "Send", actions: ["s3:PutObject", "s3:GetObject"], resources: send.map((p) => obj(`${p}*`)) },
      { sid: "ReadRouted", actions: ["s3:GetObject"], resources: files.map((p) => obj(`${p}*`)) },
      ...(deletable.length ? [{ sid: "Delete", actions: ["s3:DeleteObject"], resources: deletable }] : []),
    ],
  };
}

/** Listing limited to the given prefixes (and the folders above them, which logical directories walk). */
function listing(bucketArn: string, prefixes: readonly string[]): PolicyStatement {
  return {
    sid: "List",
    actions: ["s3:ListBucket"],
    resources: [bucketArn],
    conditions: { StringLike: { "s3:prefix": prefixes.flatMap((p) => [p, `${p}*`]) } },
  };
}

/** Key patterns (without the bucket ARN) of every root any SFTP user can reach: the shared role's bound. */
export function sftpRoots(customer: Customer): string[] {
  return [`${SEND_PREFIX}*`, `${filesRoot(customer.layout)}*`, `${DROP_PREFIX}*`];
}

/** Session policy JSON as the stack renders it (one Allow statement each). */
export function sessionPolicyJson(statements: readonly PolicyStatement[]): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: statements.map((s) => ({
      ...(s.sid ? { Sid: s.sid } : {}),
      Effect: "Allow",
      Action: [...s.actions],
      Resource: [...s.resources],
      ...(s.conditions ? { Condition: s.conditions } : {}),
    })),
  });
}

/** The longest bucket ARN there can be: session policy sizes are checked against it at synth. */
export const LONGEST_BUCKET = { name: "b".repeat(63), arn: `arn:aws-us-gov:s3:::${"b".repeat(63)}` } as const;
