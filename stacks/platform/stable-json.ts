/**
 * The text json-stable-stringify 1.3.0 writes for `stringify(value, { space })` (keys sorted, as
 * cdktf writes cdk.tf.json and manifest.json), from V8's native JSON.stringify. The library builds
 * the 9 MB document of 1000 partners out of JavaScript string joins, ~10% of that synth; the app
 * compiled by scripts/run-app.mjs uses this instead. test/stacks/platform/stable-json.test.ts
 * compares the two on the synthesized documents and on generated values.
 *
 * Where native JSON.stringify cannot be made to agree (an object key that is an array index, which
 * JavaScript orders first; a NUL inside a string, which the empty-container markers use), the
 * library's algorithm runs as written below.
 */

type Json = unknown;

const ARRAY_INDEX = /^(?:0|[1-9]\d*)$/;
/** Marks an empty object or array: the library writes its closing bracket on a line of its own. */
const EMPTY_MARK = "\u0000";
/** A marker as JSON.stringify writes it: `"\u0000{3"`. */
const EMPTY_MARK_TEXT = '"\\u0000';

class NeedsLibraryAlgorithm extends Error {}

function hasToJson(v: unknown): v is { toJSON: () => unknown } {
  return !!v && typeof (v as { toJSON?: unknown }).toJSON === "function";
}

function isIndexKey(k: string): boolean {
  return ARRAY_INDEX.test(k) && Number(k) < 4294967295;
}

/** json-stable-stringify's own algorithm (default replacer, no cmp, no cycles option). */
function libraryAlgorithm(value: Json, space: string): string | undefined {
  const seen: object[] = [];
  const walk = (input: unknown, level: number): string | undefined => {
    const indent = space ? "\n" + space.repeat(level) : "";
    const colon = space ? ": " : ":";
    const node = hasToJson(input) ? input.toJSON() : input;
    if (node === undefined) return undefined;
    if (typeof node !== "object" || node === null) return JSON.stringify(node);
    if (Array.isArray(node)) {
      const out: string[] = [];
      for (const item of node as unknown[]) out.push(indent + space + (walk(item, level + 1) || JSON.stringify(null)));
      return "[" + out.join(",") + indent + "]";
    }
    if (seen.includes(node)) throw new TypeError("Converting circular structure to JSON");
    seen.push(node);
    const out: string[] = [];
    for (const key of Object.keys(node).sort()) {
      const v = walk((node as Record<string, unknown>)[key], level + 1);
      if (!v) continue;
      out.push(indent + space + JSON.stringify(key) + colon + v);
    }
    seen.splice(seen.indexOf(node), 1);
    return "{" + out.join(",") + indent + "}";
  };
  return walk(value, 0);
}

/**
 * The value as the library will walk it: toJSON applied, keys sorted, what it leaves out left out,
 * an empty object or array replaced by a marker string naming its level.
 */
function sortedCopy(input: unknown, level: number, seen: Set<object>): unknown {
  const node = hasToJson(input) ? input.toJSON() : input;
  if (typeof node === "string") {
    if (node.includes(EMPTY_MARK)) throw new NeedsLibraryAlgorithm();
    return node;
  }
  if (typeof node !== "object" || node === null) return node;
  // The library walks boxed primitives as objects; JSON.stringify unboxes them.
  if (node instanceof String || node instanceof Number || node instanceof Boolean) throw new NeedsLibraryAlgorithm();
  if (seen.has(node)) throw new TypeError("Converting circular structure to JSON");
  seen.add(node);
  let out: unknown;
  if (Array.isArray(node)) {
    out = node.length === 0 ? `${EMPTY_MARK}[${level}` : node.map((x: unknown) => sortedCopy(x, level + 1, seen));
  } else {
    const copy: Record<string, unknown> = {};
    let kept = 0;
    for (const k of Object.keys(node).sort()) {
      // JavaScript writes array-index keys first whatever the insertion order; "__proto__" cannot be copied.
      if (isIndexKey(k) || k === "__proto__" || k.includes(EMPTY_MARK)) throw new NeedsLibraryAlgorithm();
      const v = sortedCopy((node as Record<string, unknown>)[k], level + 1, seen);
      if (v === undefined || typeof v === "function" || typeof v === "symbol") continue;
      copy[k] = v;
      kept++;
    }
    out = kept === 0 ? `${EMPTY_MARK}{${level}` : copy;
  }
  seen.delete(node);
  return out;
}

/** Native JSON.stringify over the sorted copy; the markers become the library's empty containers. */
function nativeAlgorithm(value: Json, space: string): string | undefined {
  const text = JSON.stringify(sortedCopy(value, 0, new Set()), null, space);
  if (text === undefined) return undefined;
  // Markers are rare (a handful in a 9 MB document): find them with indexOf, not a regex over every quote.
  const parts: string[] = [];
  let from = 0;
  for (let at = text.indexOf(EMPTY_MARK_TEXT); at !== -1; at = text.indexOf(EMPTY_MARK_TEXT, from)) {
    const end = text.indexOf('"', at + EMPTY_MARK_TEXT.length);
    const bracket = text[at + EMPTY_MARK_TEXT.length]!;
    const level = Number(text.slice(at + EMPTY_MARK_TEXT.length + 1, end));
    const indent = space ? "\n" + space.repeat(level) : "";
    parts.push(text.slice(from, at), bracket === "[" ? `[${indent}]` : `{${indent}}`);
    from = end + 1;
  }
  if (from === 0) return text;
  parts.push(text.slice(from));
  return parts.join("");
}

export function stableStringify(value: Json, opts?: { space?: string | number }): string | undefined {
  const extra = opts ? Object.keys(opts).filter((k) => k !== "space") : [];
  if (extra.length) throw new Error(`stable-json: option(s) ${extra.join(", ")} are not supported`);
  const space = typeof opts?.space === "number" ? " ".repeat(opts.space) : (opts?.space ?? "");
  try {
    return nativeAlgorithm(value, space);
  } catch (e) {
    if (e instanceof NeedsLibraryAlgorithm) return libraryAlgorithm(value, space);
    throw e;
  }
}
