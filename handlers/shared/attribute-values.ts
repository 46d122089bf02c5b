/**
 * Plain values ⇄ DynamoDB attribute values, for the few shapes the state table holds: strings,
 * numbers, booleans, lists, maps and string sets. Written here instead of importing
 * `@aws-sdk/lib-dynamodb` (the document client): that package is bundled whole (16 KB minified)
 * into every handler, a third of the allowance for a handler's own code (issue #17).
 */
import type { AttributeValue } from "@aws-sdk/client-dynamodb";

export type Item = Record<string, unknown>;

/** One value; undefined values are left out of maps (the document client's `removeUndefinedValues`). */
export function toAttribute(v: unknown): AttributeValue {
  if (v === null) return { NULL: true };
  if (typeof v === "string") return { S: v };
  if (typeof v === "number" && Number.isFinite(v)) return { N: String(v) };
  if (typeof v === "boolean") return { BOOL: v };
  if (v instanceof Set) {
    // The table holds string sets only (chunks sent, files final).
    const values = [...(v as Set<unknown>)];
    if (values.length && values.every((x) => typeof x === "string")) return { SS: values };
  }
  if (Array.isArray(v)) return { L: v.filter((x) => x !== undefined).map(toAttribute) };
  if (typeof v === "object" && !(v instanceof Set)) return { M: toAttributes(v as Item) };
  throw new TypeError(`the state table does not store ${String(v)}`);
}

export function toAttributes(item: Item): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  for (const [k, v] of Object.entries(item)) if (v !== undefined) out[k] = toAttribute(v);
  return out;
}

export function fromAttribute(a: AttributeValue): unknown {
  if (a.S !== undefined) return a.S;
  if (a.N !== undefined) return Number(a.N);
  if (a.BOOL !== undefined) return a.BOOL;
  if (a.NULL !== undefined) return null;
  if (a.SS !== undefined) return new Set(a.SS);
  if (a.L !== undefined) return a.L.map(fromAttribute);
  if (a.M !== undefined) return fromAttributes(a.M);
  throw new TypeError("an attribute type the state table does not hold");
}

export function fromAttributes(m: Record<string, AttributeValue>): Item {
  const out: Item = {};
  for (const [k, v] of Object.entries(m)) out[k] = fromAttribute(v);
  return out;
}
