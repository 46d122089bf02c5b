/**
 * Request validation against the JSON Schemas of templates/openapi.json (generated from the zod
 * schemas of model/api/schemas.ts), so the Lambda checks exactly what the document promises
 * without bundling zod or a schema compiler. It understands the keywords zod emits for the
 * request schemas (type, properties, required, additionalProperties, lengths, pattern, items and
 * their counts, minimum/maximum); a schema using any other keyword (enum or const included: no
 * request uses them, so they are not carried) fails the unit test that walks every request schema
 * (test/api/openapi.test.ts), not a request in production.
 */
export interface JsonSchema {
  readonly type?: string | readonly string[];
  readonly properties?: Readonly<Record<string, JsonSchema>>;
  readonly required?: readonly string[];
  readonly additionalProperties?: boolean;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly pattern?: string;
  readonly items?: JsonSchema;
  readonly minItems?: number;
  readonly maxItems?: number;
  readonly minimum?: number;
  readonly maximum?: number;
}

/** Keywords the validator enforces or that only document (description, examples, format, default). */
export const UNDERSTOOD_KEYWORDS = new Set([
  "type",
  "properties",
  "required",
  "additionalProperties",
  "minLength",
  "maxLength",
  "pattern",
  "items",
  "minItems",
  "maxItems",
  "minimum",
  "maximum",
  "description",
  "examples",
  "format",
  "default",
]);

export interface ValidationIssue {
  readonly path: string;
  readonly message: string;
}

const patterns = new Map<string, RegExp>();
const regex = (p: string) => {
  let r = patterns.get(p);
  if (!r) patterns.set(p, (r = new RegExp(p, "u")));
  return r;
};

function typeOf(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
  return typeof v;
}

function typeMatches(v: unknown, type: string): boolean {
  const t = typeOf(v);
  return t === type || (type === "number" && t === "integer");
}

export function validate(
  schema: JsonSchema,
  value: unknown,
  path = "",
  out: ValidationIssue[] = [],
): ValidationIssue[] {
  const at = path || "(body)";
  if (schema.type !== undefined) {
    const types = typeof schema.type === "string" ? [schema.type] : schema.type;
    if (!types.some((t) => typeMatches(value, t))) {
      out.push({ path: at, message: `expected ${types.join(" or ")}, found ${typeOf(value)}` });
      return out;
    }
  }
  if (typeof value === "string") {
    const length = [...value].length;
    if (schema.minLength !== undefined && length < schema.minLength)
      out.push({ path: at, message: `at least ${schema.minLength} characters` });
    if (schema.maxLength !== undefined && length > schema.maxLength)
      out.push({ path: at, message: `at most ${schema.maxLength} characters` });
    if (schema.pattern !== undefined && !regex(schema.pattern).test(value))
      out.push({ path: at, message: `does not match ${schema.pattern}` });
  }
  if (typeof value === "number") {
    if (schema.minimum !== undefined && value < schema.minimum)
      out.push({ path: at, message: `at least ${schema.minimum}` });
    if (schema.maximum !== undefined && value > schema.maximum)
      out.push({ path: at, message: `at most ${schema.maximum}` });
  }
  if (Array.isArray(value)) {
    if (schema.minItems !== undefined && value.length < schema.minItems)
      out.push({ path: at, message: `at least ${schema.minItems} items` });
    if (schema.maxItems !== undefined && value.length > schema.maxItems)
      out.push({ path: at, message: `at most ${schema.maxItems} items` });
    if (schema.items) value.forEach((v, i) => validate(schema.items!, v, `${path}[${i}]`, out));
  }
  if (typeOf(value) === "object") {
    const obj = value as Record<string, unknown>;
    for (const r of schema.required ?? [])
      if (obj[r] === undefined) out.push({ path: path ? `${path}.${r}` : r, message: "required" });
    for (const [k, v] of Object.entries(obj)) {
      const sub = schema.properties?.[k];
      const p = path ? `${path}.${k}` : k;
      if (sub) validate(sub, v, p, out);
      else if (schema.additionalProperties === false) out.push({ path: p, message: "unknown field" });
    }
  }
  return out;
}
