/**
 * JSON text with Terraform references inside, as a string template (`"{\"id\":\"${aws_x.y.id}\"}"`).
 * Resolving a template is several times cheaper for cdktf than a `jsonencode({...})` call over a
 * large object (seconds at 1000 partners), and Terraform produces the same JSON.
 *
 * Literal strings are escaped so that Terraform does not read `${` or `%{` in them (AS2 IDs may
 * hold both) as interpolation; references (cdktf tokens) are left as they are.
 */
import { Token } from "cdktf";

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
