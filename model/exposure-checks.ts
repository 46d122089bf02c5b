/**
 * Checks on a validated customer that the schema cannot express: what a hostile or careless value
 * would expose. Each returns problems in the loader's `path: expected … (found …)` form.
 *
 * - URLs (partners, webhooks, OAuth token URLs): no user name or password (they would sit in the
 *   connector's configuration and Terraform state in clear: use basic-auth secrets), no port 0,
 *   no loopback, link-local (instance metadata), private or unspecified IP literal. Public IP
 *   literals are allowed: many AS2 partners publish one.
 * - CIDRs: `0.0.0.0/0` opens port 5080 to everyone; that takes the explicit `allowFromAnywhere`.
 * - An AS2 subject becomes a MIME header: no control characters (CR/LF would end the header).
 * - A webhook's API key header name is an HTTP token (RFC 9110, 5.6.2).
 */
import type { Customer } from "./customer";

export interface ExposureProblem {
  readonly path: (string | number)[];
  readonly message: string;
  readonly found: string;
}

/** IPv4 ranges that never belong to a trading partner or a webhook receiver. */
const BLOCKED_V4: readonly [string, number, string][] = [
  ["0.0.0.0", 8, "unspecified"],
  ["10.0.0.0", 8, "private"],
  ["100.64.0.0", 10, "shared address space"],
  ["127.0.0.0", 8, "loopback"],
  ["169.254.0.0", 16, "link-local (instance metadata)"],
  ["172.16.0.0", 12, "private"],
  ["192.168.0.0", 16, "private"],
];

function v4(ip: string): number | undefined {
  const parts = ip.split(".");
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return undefined;
  return parts.reduce((n, p) => n * 256 + Number(p), 0);
}

function blockedAddress(host: string): string | undefined {
  const n = v4(host);
  if (n !== undefined) {
    for (const [base, bits, what] of BLOCKED_V4) {
      const size = 2 ** (32 - bits);
      const start = v4(base)!;
      if (n >= start && n < start + size) return what;
    }
    return undefined;
  }
  if (host.startsWith("[")) {
    const h = host.slice(1, -1).toLowerCase();
    if (h === "::1") return "loopback";
    if (h === "::") return "unspecified";
    if (/^fe[89ab]/.test(h)) return "link-local";
    if (/^f[cd]/.test(h)) return "private (unique local)";
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(h);
    if (mapped) return blockedAddress(mapped[1]!);
    // WHATWG URL writes a mapped IPv4 address in hex: ::ffff:7f00:1.
    const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(h);
    if (hex) {
      const n = parseInt(hex[1]!, 16) * 65536 + parseInt(hex[2]!, 16);
      return blockedAddress([n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join("."));
    }
  }
  if (host === "localhost" || host.endsWith(".localhost")) return "loopback";
  return undefined;
}

function urlProblems(url: string, path: (string | number)[]): ExposureProblem[] {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return []; // the schema reports it
  }
  const out: ExposureProblem[] = [];
  if (u.username || u.password)
    out.push({
      path,
      message: "expected a URL without user name or password (use a basic-auth secret)",
      found: `${u.protocol}//${u.username ? "<user>" : ""}${u.password ? ":<password>" : ""}@${u.host}`,
    });
  if (u.port === "0") out.push({ path, message: "expected a port between 1 and 65535", found: "port 0" });
  const blocked = blockedAddress(u.hostname);
  if (blocked)
    out.push({
      path,
      message: "expected a public host name or address",
      found: `${u.hostname}: ${blocked}`,
    });
  return out;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

export function exposureProblems(c: Customer): ExposureProblem[] {
  const out: ExposureProblem[] = [];
  c.partners.forEach((p, i) => {
    out.push(...urlProblems(p.url, ["partners", i, "url"]));
    p.sourceCidrs.forEach((cidr, j) => {
      if (cidr.endsWith("/0") && !c.network.allowFromAnywhere)
        out.push({
          path: ["partners", i, "sourceCidrs", j],
          message:
            "expected a partner's own addresses; 0.0.0.0/0 opens port 5080 to everyone (set network.allowFromAnywhere to mean it)",
          found: JSON.stringify(cidr),
        });
    });
    const subject = p.outbound.subject;
    // eslint-disable-next-line no-control-regex
    if (subject !== undefined && /[\u0000-\u001f\u007f]/.test(subject))
      out.push({
        path: ["partners", i, "outbound", "subject"],
        message: "expected a subject without control characters (CR or LF would end the AS2 Subject header)",
        found: JSON.stringify(subject.slice(0, 60)),
      });
  });
  c.network.allowedCidrs.forEach((cidr, j) => {
    if (cidr.endsWith("/0") && !c.network.allowFromAnywhere)
      out.push({
        path: ["network", "allowedCidrs", j],
        message:
          "expected specific sources; 0.0.0.0/0 opens port 5080 to everyone (set network.allowFromAnywhere to mean it)",
        found: JSON.stringify(cidr),
      });
  });
  c.webhooks.forEach((w, i) => {
    out.push(...urlProblems(w.url, ["webhooks", i, "url"]));
    if (w.auth.type === "oauth") out.push(...urlProblems(w.auth.tokenUrl, ["webhooks", i, "auth", "tokenUrl"]));
    if (w.auth.type === "apiKey" && !TOKEN.test(w.auth.header))
      out.push({
        path: ["webhooks", i, "auth", "header"],
        message: "expected an HTTP header name (letters, digits and !#$%&'*+.^_`|~-)",
        found: JSON.stringify(w.auth.header.slice(0, 60)),
      });
  });
  return out;
}
