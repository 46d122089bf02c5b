/**
 * JSON text with Terraform references inside, as a string template (`"{\"id\":\"${aws_x.y.id}\"}"`).
 * Resolving a template is several times cheaper for cdktf than a `jsonencode({...})` call over a
 * large object (seconds at 1000 partners), and Terraform produces the same JSON.
 *
 * Literal strings are escaped so that Terraform does not read `${` or `%{` in them (AS2 IDs may
 * hold both) as interpolation; references (cdktf tokens) are left as they are.
 */
import { TerraformLocal, Token } from "cdktf";
import type { Construct } from "constructs";

function escapeLiterals(value: unknown): unknown {
  if (typeof value === "string")
    return Token.isUnresolved(value) ? value : value.replace(/\$\{/g, () => "$${").replace(/%\{/g, () => "%%{");
  if (Array.isArray(value)) return value.map(escapeLiterals);
  if (value && typeof value === "object")
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, escapeLiterals(v)]));
  return value;
}

export function terraformJson(value: unknown): string {
  return JSON.stringify(escapeLiterals(value));
}

/**
 * Longest text cdktf resolves in one piece. cdktf scans the rest of a string from every `}` it meets
 * (ESCAPE_TOKEN_BEGIN_REGEX in cdktf/lib/tokens/private/encoding.js), so resolving one JSON text
 * costs its length times its braces: a second of synth for the routing document at 1000 partners,
 * three times over (cdktf twice, the guard rails once). Pieces of this size keep it linear.
 */
export const JSON_PIECE_CHARS = 16_384;

/** Where a piece may end: after a `,` between values, never inside a reference or an escape. */
function pieceEnds(text: string, max: number): number[] {
  const ends: number[] = [];
  let start = 0;
  while (text.length - start > max) {
    let cut = text.lastIndexOf(",", start + max);
    // A reference (`${TfToken[...]}`) holds no comma, so a comma is never inside one.
    if (cut <= start) cut = text.indexOf(",", start + max);
    if (cut < 0) break;
    ends.push(cut + 1);
    start = cut + 1;
  }
  return ends;
}

/**
 * `terraformJson(value)` as a Terraform local, in pieces of at most JSON_PIECE_CHARS when it is
 * longer: one local per piece and one that joins them, so Terraform produces the same text.
 * Interpolating a local inserts its value as it is (it is not read as a template again).
 */
export function terraformJsonLocal(scope: Construct, id: string, value: unknown): TerraformLocal {
  const text = terraformJson(value);
  const ends = pieceEnds(text, JSON_PIECE_CHARS);
  if (ends.length === 0) return new TerraformLocal(scope, id, text);
  const bounds = [0, ...ends, text.length];
  const pieces = bounds
    .slice(0, -1)
    .map((from, i) => new TerraformLocal(scope, `${id}-part-${i}`, text.slice(from, bounds[i + 1])));
  return new TerraformLocal(scope, id, pieces.map((p) => p.asString).join(""));
}
