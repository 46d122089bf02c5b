/**
 * Where Transfer Family writes its files (DESIGN.md, "Verified AWS facts"):
 * - outbound: `<parent>/processed|failed/<name>.<transferId>.<messageId>.<ext>.json|.mdn`
 *   beside the sent file's parent directory;
 * - inbound: `<base>/processed|failed/<name>.<messageId>.<ext>` with `.json` and `.mdn` beside.
 */
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

/** Transfer's keys in events start with '/'. */
export function eventKey(key: string): string {
  return `/${key}`;
}
