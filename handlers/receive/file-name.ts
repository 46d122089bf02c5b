/**
 * The partner's file name (AS2 `Content-Disposition` filename, Transfer's `requester-file-name`)
 * comes from the outside world: it becomes one key segment, never a path.
 */
import { keyBaseName, segmentProblem, stableTag } from "../../model/layout";

/** Room for the folder prefix, collision suffixes and `.json`/`.mdn` within S3's 1024-byte keys. */
export const MAX_FILE_NAME_BYTES = 200;

// C0/C1 controls and the bidirectional overrides that make `exe.txt` display as `txt.exe`.
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** A safe single key segment from an untrusted name, or undefined when nothing usable is left. */
export function sanitizeFileName(raw: string | undefined, maxBytes = MAX_FILE_NAME_BYTES): string | undefined {
  if (raw === undefined) return undefined;
  // Only the last path segment counts, whatever separator the sender's system uses.
  const last = raw.split(/[\\/]/).pop() ?? "";
  let name = last.normalize("NFC").replace(UNSAFE, "").trim();
  if (name === "" || /^\.+$/.test(name)) return undefined;
  name = truncateUtf8KeepingExtension(name, maxBytes);
  return segmentProblem(name) ? undefined : name;
}

function utf8Length(s: string): number {
  return Buffer.byteLength(s, "utf8");
}

function truncateCodePoints(s: string, maxBytes: number): string {
  let out = "";
  for (const ch of s) {
    if (utf8Length(out + ch) > maxBytes) break;
    out += ch;
  }
  return out;
}

function truncateUtf8KeepingExtension(name: string, maxBytes: number): string {
  if (utf8Length(name) <= maxBytes) return name;
  const dot = name.lastIndexOf(".");
  const ext = dot > 0 && name.length - dot <= 16 ? name.slice(dot) : "";
  const base = ext ? name.slice(0, dot) : name;
  return `${truncateCodePoints(base, maxBytes - utf8Length(ext))}${ext}`;
}

/**
 * Name of a received file: the partner's original name, else the name Transfer stored it under,
 * else a name derived from the message id (so a retry picks the same one).
 */
export function receivedFileName(
  requesterFileName: string | undefined,
  storedKey: string | undefined,
  seed: string,
): string {
  return (
    sanitizeFileName(requesterFileName) ??
    (storedKey !== undefined ? sanitizeFileName(keyBaseName(storedKey)) : undefined) ??
    `message-${stableTag(seed, 12)}`
  );
}
