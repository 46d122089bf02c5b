/**
 * The S3 layout: the only module that knows a key format. Stacks (IAM prefixes, lifecycle rules,
 * base directories) and handlers (routing, moving) both call it; nothing else assembles a key.
 *
 * Keys are plain S3 keys (never URL-encoded). Names may hold any character except '/', and are
 * never '.' or '..': S3 would accept them, but tools that sync buckets to disks would not.
 */
import { createHash } from "node:crypto";

export type LayoutPreset = "mftgateway" | "as2gateway";
export type InboxNaming = "folder" | "prefix" | "plain";
export type Folder = "inbox" | "outbox" | "failed";

/** Who a key belongs to. */
export interface Route {
  readonly station: string;
  readonly partner: string;
  readonly test: boolean;
}

export const SEND_PREFIX = "AS2/send/";
/** Private working area of the gateway (Transfer's base directories and outbound staging). */
export const WORK_PREFIX = "_gateway/";
const TEST_SEGMENT = "test";
const FILES_ROOT: Record<LayoutPreset, string> = { mftgateway: "AS2/files/", as2gateway: "as2gateway/" };

/** Suffixes of Transfer's status files and of the gateway's sidecars. */
export const MDN_SUFFIX = ".mdn";
export const RECORD_SUFFIX = ".json";
/**
 * Folder beside routed payloads that holds their sidecars (MDN and JSON record):
 * `outbox/<msg>/invoice.xml` → `outbox/<msg>/_as2/invoice.xml.mdn|.json`. A payload name never
 * holds '/', so no payload key can be a sidecar key: a payload `x.json` and the record of `x`
 * cannot meet. A payload named exactly `_as2` is stored as `_as2 (1)` (see `payloadName`).
 */
export const SIDECAR_DIR = "_as2";

export class LayoutError extends Error {
  constructor(
    message: string,
    readonly key?: string,
  ) {
    super(message);
    this.name = "LayoutError";
  }
}

/** Why a name cannot be a key segment, or undefined when it can. */
export function segmentProblem(name: string, what = "name"): string | undefined {
  if (name.length === 0) return `empty ${what} (two '/' in a row or a trailing '/')`;
  if (name === "." || name === "..") return `${what} '${name}' is a relative path segment`;
  if (name.includes("/")) return `${what} '${name}' contains '/'`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) return `${what} contains control characters`;
  return undefined;
}

function seg(name: string, what: string): string {
  const problem = segmentProblem(name, what);
  if (problem) throw new LayoutError(problem);
  return name;
}

function routeBase(route: Route): string {
  return `${seg(route.station, "station")}/${seg(route.partner, "partner")}/${route.test ? `${TEST_SEGMENT}/` : ""}`;
}

// ---------------------------------------------------------------- send (upload) keys

/** Prefix a user uploads to for a partner: `AS2/send/<st>/<p>/[test/]`. */
export function sendPrefix(route: Route): string {
  return `${SEND_PREFIX}${routeBase(route)}`;
}

/** Key of an uploaded file; with `batch`, the file is part of a batch subdirectory. */
export function sendKey(route: Route, fileName: string, batch?: string): string {
  return `${sendPrefix(route)}${batch !== undefined ? `${seg(batch, "batch directory")}/` : ""}${seg(fileName, "file name")}`;
}

export interface ParsedSendKey extends Route {
  /** Batch subdirectory, or undefined for a single file. */
  readonly batch?: string;
  readonly fileName: string;
}

export type ParseResult<T> = { ok: true; value: T } | { ok: false; reason: string };

/**
 * Turns any key under the send prefix into its route, or a reason a person can act on.
 * The `test` level is read from the key; whether the partner really is a test partner is for the
 * routing document to confirm.
 */
export function parseSendKey(key: string): ParseResult<ParsedSendKey> {
  if (!key.startsWith(SEND_PREFIX)) return { ok: false, reason: `key is not under ${SEND_PREFIX}` };
  const rest = key.slice(SEND_PREFIX.length);
  if (rest.endsWith("/")) return { ok: false, reason: "key ends with '/': a folder marker, not a file" };
  const parts = rest.split("/");
  for (const [i, p] of parts.entries()) {
    const problem = segmentProblem(p, i === parts.length - 1 ? "file name" : "folder name");
    if (problem) return { ok: false, reason: problem };
  }
  if (parts.length < 3) {
    return {
      ok: false,
      reason: `expected ${SEND_PREFIX}<station>/<partner>/<file>; a file must be inside a partner folder`,
    };
  }
  const [station, partner, ...tail] = parts as [string, string, ...string[]];
  let test = false;
  if (tail.length > 1 && tail[0] === TEST_SEGMENT) {
    test = true;
    tail.shift();
  }
  if (tail.length > 2) {
    return {
      ok: false,
      reason: `nested folders are not sent: a batch is one subdirectory level (${SEND_PREFIX}<station>/<partner>/${test ? "test/" : ""}<batch>/<file>)`,
    };
  }
  const fileName = tail[tail.length - 1]!;
  const batch = tail.length === 2 ? tail[0] : undefined;
  return {
    ok: true,
    value: batch === undefined ? { station, partner, test, fileName } : { station, partner, test, batch, fileName },
  };
}

// ---------------------------------------------------------------- routed (files) keys

/** Folder of a route in the user-facing area: `AS2/files/<st>/<p>/[test/]<folder>/` or `as2gateway/...`. */
export function folderPrefix(preset: LayoutPreset, route: Route, folder: Folder): string {
  return `${FILES_ROOT[preset]}${routeBase(route)}${folder}/`;
}

/**
 * IAM resource pattern (without the bucket ARN) covering one folder kind of every partner of a
 * station, test partners included (`AS2/files/<st>/` + `*` + `/inbox/` + `*`).
 */
export function stationFolderPattern(preset: LayoutPreset, station: string, folder: Folder): string {
  return `${FILES_ROOT[preset]}${seg(station, "station")}/*/${folder}/*`;
}

/** Root of all user-facing routed files of a preset (IAM and lifecycle scopes). */
export function filesRoot(preset: LayoutPreset): string {
  return FILES_ROOT[preset];
}

/** `20261122T175432123Z`: sorts chronologically and is safe in every tool. */
export function compactTimestamp(date: Date): string {
  return date.toISOString().replace(/[-:.]/g, "");
}

/**
 * A short random-looking tag derived from a seed, so that a retried handler writes the same key
 * (handlers are idempotent) while two messages in the same millisecond still get distinct keys.
 */
export function stableTag(seed: string, length = 8): string {
  return createHash("sha256").update(seed).digest("hex").slice(0, length);
}

export interface RoutedFile {
  readonly route: Route;
  readonly fileName: string;
  /** When the message was received, sent or failed. */
  readonly at: Date;
  /** Seed for the disambiguating tag: the message id (or claim id). */
  readonly seed: string;
}

/** Key of a received payload. `naming` applies to the as2gateway preset only. */
export function inboxKey(preset: LayoutPreset, f: RoutedFile, naming: InboxNaming = "plain", collision = 0): string {
  return messageKey(preset, "inbox", f, naming, collision);
}

/** Key of a sent payload. */
export function outboxKey(preset: LayoutPreset, f: RoutedFile, naming: InboxNaming = "plain", collision = 0): string {
  return messageKey(preset, "outbox", f, naming, collision);
}

/**
 * Key of a failed payload: `.../failed/<timestamp>/<file>` in both presets. `collision` (> 0) is
 * for two different messages failing in the same millisecond: `.../failed/<timestamp>-<n>/<file>`.
 */
export function failedKey(preset: LayoutPreset, f: RoutedFile, collision = 0): string {
  return `${folderPrefix(preset, f.route, "failed")}${compactTimestamp(f.at)}${collision ? `-${collision}` : ""}/${payloadName(f.fileName)}`;
}

/** A payload's name in a routed folder: its own, except that it may not be the sidecar folder's. */
export function payloadName(fileName: string, collision = 0): string {
  const name = seg(fileName, "file name");
  return withCollisionSuffix(name, name === SIDECAR_DIR ? Math.max(1, collision) : collision);
}

function messageKey(
  preset: LayoutPreset,
  folder: "inbox" | "outbox",
  f: RoutedFile,
  naming: InboxNaming,
  collision: number,
): string {
  const base = folderPrefix(preset, f.route, folder);
  const name = payloadName(f.fileName);
  if (preset === "mftgateway") return `${base}${compactTimestamp(f.at)}-${stableTag(f.seed)}/${name}`;
  switch (naming) {
    case "folder":
      return `${base}${compactTimestamp(f.at)}${collision ? `-${collision}` : ""}/${name}`;
    case "prefix":
      return `${base}${compactTimestamp(f.at)}${collision ? `-${collision}` : ""}_${name}`;
    case "plain":
      return `${base}${payloadName(f.fileName, collision)}`;
  }
}

/** `invoice.xml` → `invoice (1).xml`: what desktop tools do, so users recognise it. */
export function withCollisionSuffix(name: string, n: number): string {
  if (!n) return name;
  const dot = name.lastIndexOf(".");
  return dot > 0 ? `${name.slice(0, dot)} (${n})${name.slice(dot)}` : `${name} (${n})`;
}

function sidecarKey(payloadKey: string, suffix: string): string {
  const slash = payloadKey.lastIndexOf("/");
  return `${payloadKey.slice(0, slash + 1)}${SIDECAR_DIR}/${payloadKey.slice(slash + 1)}${suffix}`;
}

/** The MDN stored beside a routed payload (`<folder>/_as2/<file>.mdn`). */
export function mdnKey(payloadKey: string): string {
  return sidecarKey(payloadKey, MDN_SUFFIX);
}

/** The JSON record (message id, transfer id, status, reason, timestamps) beside a routed payload (`<folder>/_as2/<file>.json`). */
export function recordKey(payloadKey: string): string {
  return sidecarKey(payloadKey, RECORD_SUFFIX);
}

/** Whether a key under a routed folder is a sidecar (MDN or record), not a payload. */
export function isSidecarKey(key: string): boolean {
  const parts = key.split("/");
  return parts.length >= 2 && parts[parts.length - 2] === SIDECAR_DIR;
}

/**
 * The longest key a payload of `fileName` will need in `route`'s routed folders (its record, in
 * failed/ with a collision suffix): checked before a send is accepted, so that no key a message
 * will need can exceed S3's 1024 bytes half-way.
 */
export function longestRoutedKeyBytes(preset: LayoutPreset, route: Route, fileName: string): number {
  const f: RoutedFile = { route, fileName, at: new Date(0), seed: "" };
  const candidates = [
    recordKey(failedKey(preset, f, 999)),
    recordKey(outboxKey(preset, f, "folder", 999)),
    recordKey(outboxKey(preset, f, "plain", 999)),
    recordKey(outboxKey(preset, f, "prefix", 999)),
  ];
  return Math.max(...candidates.map((k) => Buffer.byteLength(k, "utf8")));
}

/**
 * Bytes Transfer adds to a staged file's key for its status files
 * (`processed/<name>.<transferId>.<messageId>.<ext>.json`, DESIGN.md): a transfer id is 36
 * characters; message ids are not bounded by the documentation, 160 covers what Transfer generates.
 */
const TRANSFER_STATUS_ALLOWANCE = "processed/".length + 1 + 36 + 1 + 160 + ".json".length;
/** Length of a claim id (`<compact timestamp>-<12 hex>`), part of every staging key. */
const CLAIM_ID_LENGTH = "20261122T175432123Z-".length + 12;

/** The longest private key a send of `fileName` needs: its staging key and Transfer's status files beside it. */
export function longestWorkKeyBytes(route: Pick<Route, "station" | "partner">, fileName: string): number {
  return (
    Buffer.byteLength(outboundWorkKey(route, "c".repeat(CLAIM_ID_LENGTH), fileName), "utf8") + TRANSFER_STATUS_ALLOWANCE
  );
}

/** S3's longest object key, in UTF-8 bytes. */
export const MAX_KEY_BYTES = 1024;

/**
 * Folder of the routed area for uploads that name no usable station and partner (files directly
 * under AS2/send/ or AS2/send/<station>/, unusable folder names): `AS2/files/_unrouted/failed/`
 * (`as2gateway/_unrouted/failed/`). Documented in the README; covered by the routed IAM patterns.
 */
export const UNROUTED_FOLDER = "_unrouted";

/** Key of an upload that could not be attributed to a partner: `<root>_unrouted/failed/<timestamp>[-n]/<file>`. */
export function unroutedFailedKey(preset: LayoutPreset, at: Date, fileName: string, collision = 0): string {
  return `${FILES_ROOT[preset]}${UNROUTED_FOLDER}/failed/${compactTimestamp(at)}${collision ? `-${collision}` : ""}/${payloadName(fileName)}`;
}

function truncateUtf8(s: string, maxBytes: number): string {
  let out = "";
  let bytes = 0;
  for (const ch of s) {
    const b = Buffer.byteLength(ch, "utf8");
    if (bytes + b > maxBytes) break;
    out += ch;
    bytes += b;
  }
  return out;
}

/**
 * A name that is always a valid key segment and short enough that its record in `failed/` (with a
 * collision suffix) stays within S3's 1024 bytes: control characters become '_', '.' and '..'
 * get a '_' prefix, an empty name becomes '_', and a long name is cut (the extension is kept).
 * Used for the failed/ copy of an upload whose own name cannot be used; the record keeps the
 * original name.
 */
export function safeFailedName(preset: LayoutPreset, route: Route | undefined, fileName: string): string {
  // eslint-disable-next-line no-control-regex
  let name = fileName.replace(/[\u0000-\u001f\u007f/]/g, "_");
  if (name === "" || name === "." || name === "..") name = `_${name}`;
  const at = new Date(0);
  const longest = (n: string) =>
    Buffer.byteLength(
      recordKey(
        route ? failedKey(preset, { route, fileName: n, at, seed: "" }, 999) : unroutedFailedKey(preset, at, n, 999),
      ),
      "utf8",
    );
  if (longest(name) <= MAX_KEY_BYTES) return name;
  const dot = name.lastIndexOf(".");
  const ext = dot > 0 && name.length - dot <= 16 ? name.slice(dot) : "";
  const budget = MAX_KEY_BYTES - (longest("x") - 1) - Buffer.byteLength(ext, "utf8") - 3;
  return `${truncateUtf8(name.slice(0, name.length - ext.length), Math.max(1, budget))}...${ext}`.replace(/^\.+/, "_");
}

// ---------------------------------------------------------------- private working paths

/**
 * Stable, key-safe name of a station/partner pair for private paths. Partner AS2 IDs may hold
 * '<', '@', '%': Transfer's base directories and IAM ARNs are simpler without them, and the
 * hash keeps two pairs that sanitise alike apart.
 */
export function workSlug(route: Pick<Route, "station" | "partner">): string {
  const clean = (s: string) => s.replace(/[^A-Za-z0-9._-]/g, "_").slice(0, 40);
  return `${clean(route.station)}--${clean(route.partner)}-${stableTag(`${route.station}\n${route.partner}`)}`;
}

/** Agreement base directory (without the bucket): Transfer writes received messages here. */
export function inboundWorkPrefix(route: Pick<Route, "station" | "partner">): string {
  return `${WORK_PREFIX}inbound/${workSlug(route)}/`;
}

/**
 * Files Transfer writes beside a received payload in the agreement base directory
 * (`processed/name.<messageId>.ext` → `.mdn` and `.json` next to it; DESIGN.md).
 */
export function inboundSidecarKeys(payloadKey: string): { readonly mdn: string; readonly status: string } {
  return { mdn: `${payloadKey}${MDN_SUFFIX}`, status: `${payloadKey}${RECORD_SUFFIX}` };
}

/**
 * Where Transfer stores a received payload in an agreement base directory: `processed/` or
 * `failed/`, named `name.<messageId>.ext` (DESIGN.md). Handlers never parse this: they take keys
 * from events. It exists for the emulators and tests that play Transfer's part.
 */
export function transferInboundKey(
  basePrefix: string,
  outcome: "processed" | "failed",
  fileName: string,
  messageId: string,
): string {
  const dot = fileName.lastIndexOf(".");
  const name = dot > 0 ? `${fileName.slice(0, dot)}.${messageId}${fileName.slice(dot)}` : `${fileName}.${messageId}`;
  return `${basePrefix}${outcome}/${seg(name, "file name")}`;
}

/**
 * Transfer's status file for one transfer of a staged file:
 * `<staging dir>/processed|failed/<name>.<transferId>.<messageId>.<ext>.json` (DESIGN.md, "Verified AWS
 * facts"; AWS Transfer user guide, AS2 file names; the MDN Receive Completed sample follows it). The
 * name holds no timestamp, so it is fully determined by the ledger's transfer and message ids. Events'
 * keys come first (one documented sample does not follow this rule): this names only what no event
 * named, for a delete that is a no-op when Transfer wrote nothing there. Undefined when the ids
 * cannot form one key segment.
 */
export function transferOutboundStatusKey(
  stagedKey: string,
  outcome: "processed" | "failed",
  transferId: string,
  messageId: string,
): string | undefined {
  const slash = stagedKey.lastIndexOf("/");
  const fileName = stagedKey.slice(slash + 1);
  const dot = fileName.lastIndexOf(".");
  const [name, ext] = dot > 0 ? [fileName.slice(0, dot), fileName.slice(dot)] : [fileName, ""];
  const stored = `${name}.${transferId}.${messageId}${ext}`;
  // An id with '/' (RFC 5322 allows it) would not be one name: nothing to name then, rather than a wrong key.
  if (segmentProblem(stored) !== undefined) return undefined;
  return `${stagedKey.slice(0, slash + 1)}${outcome}/${stored}${RECORD_SUFFIX}`;
}

/** Last segment of a key: the name Transfer stored a file under. */
export function keyBaseName(key: string): string {
  return key.slice(key.lastIndexOf("/") + 1);
}

/** Root of all inbound base directories (IAM scope of the agreement role). */
export const INBOUND_WORK_ROOT = `${WORK_PREFIX}inbound/`;
/** Root of all outbound staging directories (IAM scope of the connector role). */
export const OUTBOUND_WORK_ROOT = `${WORK_PREFIX}outbound/`;
/** Where the stack writes the routing document. */
export const ROUTING_DOCUMENT_KEY = `${WORK_PREFIX}config/routing.json`;

/**
 * Staging directory of one claimed upload: Transfer writes its `processed/` and `failed/` status
 * files under it, so each claim gets its own directory.
 */
export function outboundWorkPrefix(route: Pick<Route, "station" | "partner">, claimId: string): string {
  return `${OUTBOUND_WORK_ROOT}${workSlug(route)}/${seg(claimId, "claim id")}/`;
}

/** Key of a claimed file in its staging directory. */
export function outboundWorkKey(route: Pick<Route, "station" | "partner">, claimId: string, fileName: string): string {
  return `${outboundWorkPrefix(route, claimId)}${seg(fileName, "file name")}`;
}

/** S3 URI-style path Transfer expects in StartFileTransfer (`/bucket/key`). */
export function transferPath(bucket: string, key: string): string {
  return `/${bucket}/${key}`;
}

/** Transfer's event keys start with '/': strip it (DESIGN.md). */
export function keyFromTransferAttribute(key: string): string {
  return key.startsWith("/") ? key.slice(1) : key;
}

// ---------------------------------------------------------------- event archive (Firehose)

export type ArchivePartitioning = "HOURLY" | "DAILY";

/**
 * Root of the event archive: beside the working paths but outside `inbound/` and `outbound/`,
 * which a lifecycle rule expires; the archive is kept until the customer decides otherwise.
 */
export const ARCHIVE_ROOT = `${WORK_PREFIX}archive/`;

const ARCHIVE_DAY = "year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/";
const ARCHIVE_HOUR = "hour=!{timestamp:HH}/";

/**
 * Firehose custom prefix of archived events (Hive-style partitions, so Athena can project them).
 * `!{timestamp:...}` is evaluated by Firehose in UTC from the arrival time of the oldest record of
 * each object; Firehose then appends `<stream>-<version>-<yyyy-MM-dd-HH-mm-ss>-<uuid><extension>`.
 */
export function archivePrefix(partitioning: ArchivePartitioning): string {
  return `${ARCHIVE_ROOT}events/${ARCHIVE_DAY}${partitioning === "HOURLY" ? ARCHIVE_HOUR : ""}`;
}

/** Firehose error output prefix: records it could not deliver, by error type and day. */
export function archiveErrorPrefix(): string {
  return `${ARCHIVE_ROOT}errors/!{firehose:error-output-type}/${ARCHIVE_DAY}`;
}

/** The static part of archivePrefix/archiveErrorPrefix: the IAM scope of the Firehose role. */
export function archiveIamPrefix(): string {
  return ARCHIVE_ROOT;
}

/** The key prefix of one day (and hour) of the archive, as Firehose evaluates archivePrefix: for readers. */
export function archivePartitionPrefix(partitioning: ArchivePartitioning, at: Date): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return archivePrefix(partitioning)
    .replace("!{timestamp:yyyy}", String(at.getUTCFullYear()))
    .replace("!{timestamp:MM}", p(at.getUTCMonth() + 1))
    .replace("!{timestamp:dd}", p(at.getUTCDate()))
    .replace("!{timestamp:HH}", p(at.getUTCHours()));
}

// ---------------------------------------------------------------- send pipeline helpers

/** Folder of a batch upload: `AS2/send/<st>/<p>/[test/]<batch>/` (listed to settle the batch as a whole). */
export function sendBatchPrefix(route: Route, batch: string): string {
  return `${sendPrefix(route)}${seg(batch, "batch directory")}/`;
}

export interface ParsedOutboundWorkKey {
  /** `workSlug` of the station/partner pair. */
  readonly slug: string;
  readonly claimId: string;
  readonly fileName: string;
}

/**
 * Reverse of `outboundWorkKey`: Transfer's events name the staged file (`s3-attributes.file-key`),
 * which is how a result finds its claim even when the transfer id was never recorded.
 * Status files Transfer writes under `processed/` or `failed/` of the staging directory are not
 * staged payloads and are refused.
 */
export function parseOutboundWorkKey(key: string): ParsedOutboundWorkKey | undefined {
  if (!key.startsWith(OUTBOUND_WORK_ROOT)) return undefined;
  const parts = key.slice(OUTBOUND_WORK_ROOT.length).split("/");
  if (parts.length !== 3 || parts.some((p) => segmentProblem(p) !== undefined)) return undefined;
  const [slug, claimId, fileName] = parts as [string, string, string];
  return { slug, claimId, fileName };
}

/**
 * IAM resource pattern (S3 key part) matching every route's `folder` in a preset, test routes
 * included: `AS2/files/*` + `/outbox/*`. For policies only; never a key.
 */
export function routedFolderPattern(preset: LayoutPreset, folder: Folder): string {
  return `${FILES_ROOT[preset]}*/${folder}/*`;
}

// ---------------------------------------------------------------- SFTP views of the tree

/** Root of the partners' SFTP drop folders (batch files a partner puts for the customer to pick up). */
export const DROP_PREFIX = "AS2/drop/";

/** A partner SFTP user's drop folder: `AS2/drop/<st>/<p>/[test/]`. Not a send folder: nothing is sent from it. */
export function dropPrefix(route: Route): string {
  return `${DROP_PREFIX}${routeBase(route)}`;
}

/** Every send folder of a station: `AS2/send/<st>/`. */
export function stationSendPrefix(station: string): string {
  return `${SEND_PREFIX}${seg(station, "station")}/`;
}

/** Every routed file of a station: `AS2/files/<st>/` or `as2gateway/<st>/`. */
export function stationFilesPrefix(preset: LayoutPreset, station: string): string {
  return `${FILES_ROOT[preset]}${seg(station, "station")}/`;
}

// ---------------------------------------------------------------- transaction pipeline (issue 16)

/** The pipeline document: which partners' files are split, how, and into which table (written by the stack). */
export const PIPELINE_DOCUMENT_KEY = `${WORK_PREFIX}config/pipelines.json`;

export interface ParsedDropKey {
  readonly route: Route;
  readonly fileName: string;
}

/**
 * A partner's SFTP drop: `AS2/drop/<st>/<p>/[test/]<file>`. Files in deeper folders and folder
 * markers are not drops. `test` is read from the key; the caller checks it against the partner.
 */
export function parseDropKey(key: string): ParsedDropKey | undefined {
  if (!key.startsWith(DROP_PREFIX)) return undefined;
  const parts = key.slice(DROP_PREFIX.length).split("/");
  const test = parts.length === 4 && parts[2] === TEST_SEGMENT;
  if (parts.length !== 3 && !test) return undefined;
  const [station, partner] = parts as [string, string];
  const fileName = parts[parts.length - 1]!;
  if ([station, partner, fileName].some((s) => segmentProblem(s) !== undefined)) return undefined;
  return { route: { station, partner, test }, fileName };
}

// ---------------------------------------------------------------- REST API (issue 15)

/** Where files uploaded through the API's presigned URLs wait for their commit (private: nothing is sent from here). */
export const API_UPLOAD_ROOT = `${WORK_PREFIX}api-uploads/`;

/** Folder of one API upload: the file and its manifest (`_gateway/api-uploads/<upload id>/`). */
export function apiUploadPrefix(uploadId: string): string {
  return `${API_UPLOAD_ROOT}${seg(uploadId, "upload id")}/`;
}

/** The uploaded bytes (a fixed name: the real one is in the manifest, and may be anything). */
export function apiUploadFileKey(uploadId: string): string {
  return `${apiUploadPrefix(uploadId)}file`;
}

/** What the upload is for (station, partner, file name, size) and, once committed, what it became. */
export function apiUploadManifestKey(uploadId: string): string {
  return `${apiUploadPrefix(uploadId)}upload${RECORD_SUFFIX}`;
}

/** Written once the upload was copied into the send folder: a repeated commit answers from it. */
export function apiUploadCommitKey(uploadId: string): string {
  return `${apiUploadPrefix(uploadId)}commit${RECORD_SUFFIX}`;
}
