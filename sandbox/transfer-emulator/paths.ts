/**
 * Where Transfer Family writes its files (DESIGN.md, "Verified AWS facts"):
 * - outbound: `<parent>/processed|failed/<name>.<transferId>.<messageId>.<ext>.json|.mdn`
 *   beside the sent file's parent directory;
 * - inbound: `<base>/processed|failed/<name>.<messageId>.<ext>` with `.json` and `.mdn` beside.
 */
import type { CustomDirectories } from "./types";

export interface S3Path {
  readonly bucket: string;
  readonly key: string;
}

/** `/bucket/key` (StartFileTransfer's SendFilePaths, agreement base directories). */
export function parseTransferPath(path: string): S3Path {
  const p = path.startsWith("/") ? path.slice(1) : path;
  const slash = p.indexOf("/");
  if (slash <= 0 || slash === p.length - 1) throw new Error(`'${path}' is not a /bucket/key path`);
  return { bucket: p.slice(0, slash), key: p.slice(slash + 1) };
}

/** `invoice.edi` → [`invoice`, `.edi`]; no extension → [`name`, ``]. */
export function splitExtension(fileName: string): [string, string] {
  const dot = fileName.lastIndexOf(".");
  return dot > 0 ? [fileName.slice(0, dot), fileName.slice(dot)] : [fileName, ""];
}

function parentOf(key: string): string {
  const slash = key.lastIndexOf("/");
  return slash < 0 ? "" : key.slice(0, slash + 1);
}

function baseName(key: string): string {
  return key.slice(key.lastIndexOf("/") + 1);
}

export type Outcome = "processed" | "failed";

/** Status JSON and MDN keys of an outbound file. */
export function outboundStatusKeys(
  fileKey: string,
  outcome: Outcome,
  transferId: string,
  messageId: string,
): { json: string; mdn: string } {
  const [name, ext] = splitExtension(baseName(fileKey));
  const stem = `${parentOf(fileKey)}${outcome}/${name}.${transferId}.${messageId}${ext}`;
  return { json: `${stem}.json`, mdn: `${stem}.mdn` };
}

/** Payload, status JSON and MDN keys of an inbound message under an agreement's base directory. */
export function inboundKeys(
  basePrefix: string,
  outcome: Outcome,
  fileName: string,
  messageId: string,
): { file: string; json: string; mdn: string } {
  const base = basePrefix === "" || basePrefix.endsWith("/") ? basePrefix : `${basePrefix}/`;
  const [name, ext] = splitExtension(fileName);
  const file = `${base}${outcome}/${name}.${messageId}${ext}`;
  return { file, json: `${file}.json`, mdn: `${file}.mdn` };
}

/** Where one received message's files go, each with its bucket. */
export interface InboundLanding {
  readonly file: S3Path;
  readonly json: S3Path;
  readonly mdn: S3Path;
  /** The status file's `file-path`: relative to the base directory, or `/bucket/key` with custom directories. */
  readonly filePath: string;
}

/** `/bucket/a/b` → bucket and key prefix `a/b/` (`''` for the bucket root). */
function directory(path: string): { bucket: string; prefix: string } {
  const p = parseTransferPath(`${path.replace(/\/+$/, "")}/x`);
  return { bucket: p.bucket, prefix: p.key.slice(0, -1) };
}

/**
 * Transfer's landing for a received message. With `BaseDirectory`: `<base>/processed|failed/` with
 * `.json` and `.mdn` beside the payload. With `CustomDirectories`: the payload in the payload (or
 * failed) directory, the status JSON in the status directory and the MDN in the MDN directory, each
 * named after the stored payload (assumed: AWS names the directories, not the names inside them).
 * With PreserveFilename the stored name is the partner's file name, so a second message with the
 * same name overwrites the first (AWS documents nothing else); without, `name.<messageId>.ext`.
 */
export function inboundLanding(
  a: { readonly baseDirectory?: string; readonly customDirectories?: CustomDirectories },
  outcome: Outcome,
  fileName: string,
  messageId: string,
  preserveFilename: boolean,
): InboundLanding {
  const [name, ext] = splitExtension(fileName);
  const stored = preserveFilename ? fileName : `${name}.${messageId}${ext}`;
  const at = (dir: string, suffix: string): S3Path => {
    const d = directory(dir);
    return { bucket: d.bucket, key: `${d.prefix}${stored}${suffix}` };
  };
  const c = a.customDirectories;
  if (c) {
    const file = at(outcome === "processed" ? c.payload : c.failed, "");
    return { file, json: at(c.status, ".json"), mdn: at(c.mdn, ".mdn"), filePath: `/${file.bucket}/${file.key}` };
  }
  if (a.baseDirectory === undefined) throw new Error("an agreement needs a base directory or custom directories");
  const dir = `${a.baseDirectory.replace(/\/+$/, "")}/${outcome}`;
  const file = at(dir, "");
  return {
    file,
    json: at(dir, ".json"),
    mdn: at(dir, ".mdn"),
    filePath: file.key.slice(directory(a.baseDirectory).prefix.length),
  };
}

/** Transfer's keys in events start with '/'. */
export function eventKey(key: string): string {
  return `/${key}`;
}
