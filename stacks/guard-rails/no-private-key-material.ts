/**
 * No private key in the synthesized JSON: no resource, data source or output attribute holds PEM
 * (or OpenSSH/PuTTY) private key material, and no output that is not sensitive exposes a
 * reference to one (a generated key's `private_key_pem`, a secret's `secret_string`). Outputs end
 * up in `cdktf output` and CI logs; the issue that introduced this rule found a station key in one.
 */
import type { GuardRailRule } from "./rule";

const KEY_MATERIAL = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY[A-Z ]*-----|PuTTY-User-Key-File-/;
/** Attributes that hold key material or secret values when referenced. */
const SECRET_REFERENCE =
  /\$\{[^}]*\.(private_key_pem|private_key_pem_pkcs8|private_key_openssh|secret_string|secret_binary)\b/;

/** True when some string inside `v` (outside `//` metadata) matches: the common case, walked without allocating. */
function anyString(v: unknown, pattern: RegExp): boolean {
  if (typeof v === "string") return pattern.test(v);
  if (Array.isArray(v)) return v.some((x) => anyString(x, pattern));
  if (v && typeof v === "object") {
    for (const k in v) if (k !== "//" && anyString((v as Record<string, unknown>)[k], pattern)) return true;
  }
  return false;
}

function strings(v: unknown, path: string[] = []): { path: string; value: string }[] {
  if (typeof v === "string") return [{ path: path.join("."), value: v }];
  if (Array.isArray(v)) return v.flatMap((x, i) => strings(x, [...path, String(i)]));
  if (v && typeof v === "object")
    return Object.entries(v)
      .filter(([k]) => k !== "//")
      .flatMap(([k, x]) => strings(x, [...path, k]));
  return [];
}

export const NoPrivateKeyMaterial: GuardRailRule = {
  id: "NoPrivateKeyMaterial",
  description:
    "no private key material in any attribute or output; outputs never reference key material unless sensitive",
  appliesTo: ["*"],
  check(el, ctx) {
    const cfg = ctx.config(el);
    // Every element of the stack passes here: paths are only worked out for a finding.
    const problems = (anyString(cfg, KEY_MATERIAL) ? strings(cfg) : [])
      .filter((s) => KEY_MATERIAL.test(s.value))
      .map((s) => `${s.path || "value"} holds private key material: reference a secret or a variable instead`);
    if (ctx.address(el).startsWith("output.")) {
      if (cfg.sensitive !== true)
        for (const s of strings(cfg.value))
          if (SECRET_REFERENCE.test(s.value))
            problems.push(`output exposes ${SECRET_REFERENCE.exec(s.value)![1]} without sensitive = true`);
    }
    return problems;
  },
};
