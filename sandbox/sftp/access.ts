/**
 * What Transfer decides for an SFTP user, played offline: logical directories (the virtual tree the
 * home directory mappings build, chrooted at `/`) and the IAM policies that bound each S3 request
 * (the user's session policy and the role's policy: a request needs both to allow it).
 *
 * The policy evaluation covers what the gateway's policies use: Allow statements, `*`/`?` globs in
 * actions and resources, and `StringLike`/`StringEquals` on `s3:prefix`. Anything else in a
 * condition denies, so a policy this evaluator cannot read is never more permissive here than in AWS.
 */
import { posix } from "node:path";

export interface Mapping {
  readonly entry: string;
  readonly target: string;
}

export interface Statement {
  readonly Effect?: string;
  readonly Action?: string | string[];
  readonly Resource?: string | string[];
  readonly Condition?: Record<string, Record<string, string | string[]>>;
}

export interface Located {
  readonly bucket: string;
  /** S3 key (no leading '/'); '' for the top of a mapping whose target is a bucket. */
  readonly key: string;
}

/** A client path made absolute and normalized; `..` cannot climb above `/` (chroot). */
export function normalize(path: string): string {
  return posix.resolve("/", path || ".");
}

function sorted(mappings: readonly Mapping[]): Mapping[] {
  return [...mappings].sort((a, b) => b.entry.length - a.entry.length);
}

/** The S3 location of a virtual path, or undefined when no mapping covers it. */
export function locate(mappings: readonly Mapping[], path: string): Located | undefined {
  const p = normalize(path);
  for (const m of sorted(mappings)) {
    const entry = normalize(m.entry);
    if (p !== entry && !(entry === "/" ? true : p.startsWith(`${entry}/`))) continue;
    const rest = entry === "/" ? p.slice(1) : p.slice(entry.length + 1);
    const [bucket = "", ...prefix] = m.target.replace(/^\//, "").split("/");
    const base = prefix.join("/");
    return { bucket, key: [base, rest].filter((s) => s.length > 0).join("/") };
  }
  return undefined;
}

/** Names of the virtual directories directly under `path` that lead to mapping entries. */
export function virtualChildren(mappings: readonly Mapping[], path: string): string[] {
  const p = normalize(path);
  const out = new Set<string>();
  for (const m of mappings) {
    const entry = normalize(m.entry);
    if (entry === p || !(p === "/" ? entry.startsWith("/") : entry.startsWith(`${p}/`))) continue;
    const rest = entry.slice(p === "/" ? 1 : p.length + 1);
    const first = rest.split("/")[0];
    if (first) out.add(first);
  }
  return [...out].sort();
}

/** True when `path` is above (or at) some mapping entry without being mapped itself. */
export function isVirtualDirectory(mappings: readonly Mapping[], path: string): boolean {
  return locate(mappings, path) === undefined && virtualChildren(mappings, path).length > 0;
}

function glob(pattern: string, value: string): boolean {
  const re = pattern
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${re}$`).test(value);
}

function list(v: string | string[] | undefined): string[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

function conditionHolds(condition: Statement["Condition"], context: Record<string, string>): boolean {
  if (!condition) return true;
  for (const [op, entries] of Object.entries(condition)) {
    for (const [key, expected] of Object.entries(entries)) {
      const actual = context[key];
      if (actual === undefined) return false;
      if (op === "StringLike") {
        if (!list(expected).some((e) => glob(e, actual))) return false;
      } else if (op === "StringEquals") {
        if (!list(expected).includes(actual)) return false;
      } else return false;
    }
  }
  return true;
}

/** Whether one policy allows `action` on `resource` (explicit Deny wins; no statement means no). */
export function policyAllows(
  statements: readonly Statement[],
  action: string,
  resource: string,
  context: Record<string, string> = {},
): boolean {
  const matches = (s: Statement) =>
    list(s.Action).some((a) => glob(a, action)) &&
    list(s.Resource).some((r) => glob(r, resource)) &&
    conditionHolds(s.Condition, context);
  if (statements.some((s) => s.Effect === "Deny" && matches(s))) return false;
  return statements.some((s) => (s.Effect ?? "Allow") === "Allow" && matches(s));
}

export function objectArn(bucket: string, key: string): string {
  return `arn:aws:s3:::${bucket}/${key}`;
}

export function bucketArn(bucket: string): string {
  return `arn:aws:s3:::${bucket}`;
}
