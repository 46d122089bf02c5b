/**
 * Public certificate files, read the way synth must read them: only `CERTIFICATE` blocks are kept,
 * anything that is (or may be) private key material stops synth, and each certificate is checked
 * against what Transfer Family will accept, so that a file that synthesizes also imports.
 *
 * Transfer's requirements used here: "The key length for AS2 certificates must be at least 2048
 * bits, and at most 4096" (Transfer user guide, "Manage AS2 partners",
 * https://docs.aws.amazon.com/transfer/latest/userguide/managing-as2-partners.html).
 * Node's X509Certificate parses; the KeyUsage bits, which Node does not expose, are read from the
 * DER (model/der-key-usage.ts). No dependency: this runs at synth and never in a handler bundle.
 */
import { X509Certificate, createPrivateKey } from "node:crypto";
import { keyUsageOf, type KeyUsage } from "./der-key-usage";

/** What a certificate is imported for: decides which key usage bits it needs. */
export type CertificatePurpose = "signing" | "encryption" | "signing+encryption" | "chain";

export interface CertificateFinding {
  /** "expected …" sentence, in the loader's `path: message (found …)` style. */
  readonly message: string;
  readonly found: string;
}

export interface InspectedCertificates {
  /** The CERTIFICATE blocks, normalized (LF, one trailing newline): the only text synth uses. */
  readonly pem: string;
  readonly findings: readonly CertificateFinding[];
}

export const MIN_RSA_BITS = 2048;
const CLOCK_SKEW_MS = 5 * 60_000;
export const MAX_RSA_BITS = 4096;

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;
/** Every PEM flavour of private key: PRIVATE KEY, ENCRYPTED PRIVATE KEY, RSA/EC/DSA/OPENSSH PRIVATE KEY, PGP PRIVATE KEY BLOCK. */
const PRIVATE_KEY_LABEL = /PRIVATE KEY/;
const ANY_PRIVATE_KEY_HEADER = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY[A-Z ]*-----|PuTTY-User-Key-File-/;

/**
 * Private key material in a file, whatever its format, or undefined. Kept separate from the
 * certificate checks: it must run on every referenced file, and its message is the one that matters.
 */
export function privateKeyMaterial(bytes: Buffer, fileName = ""): string | undefined {
  const text = bytes.toString("latin1");
  const header = ANY_PRIVATE_KEY_HEADER.exec(text);
  if (header) return header[0].startsWith("PuTTY") ? "PuTTY private key" : header[0].replace(/-/g, "").trim();
  if (/\.(p12|pfx)$/i.test(fileName)) return "PKCS#12 (.p12/.pfx) key store";
  if (looksLikePkcs12(bytes)) return "PKCS#12 key store (binary)";
  if (bytes[0] === 0x30 && isDerPrivateKey(bytes)) return "DER private key (binary)";
  return undefined;
}

/** PFX ::= SEQUENCE { version INTEGER (3), authSafe ContentInfo, ... } (RFC 7292, section 4). */
function looksLikePkcs12(b: Buffer): boolean {
  if (b[0] !== 0x30 || b.length < 8) return false;
  const lenByte = b[1]!;
  const start = lenByte < 0x80 ? 2 : 2 + (lenByte & 0x7f);
  return b[start] === 0x02 && b[start + 1] === 0x01 && b[start + 2] === 0x03;
}

function isDerPrivateKey(b: Buffer): boolean {
  for (const type of ["pkcs8", "pkcs1", "sec1"] as const) {
    try {
      createPrivateKey({ key: b, format: "der", type });
      return true;
    } catch {
      // not this encoding
    }
  }
  return false;
}

const day = (d: Date) => d.toISOString().slice(0, 10);

function usageFindings(purpose: CertificatePurpose, usage: KeyUsage | undefined, where: string): CertificateFinding[] {
  // No KeyUsage extension: the key may be used for anything (RFC 5280, 4.2.1.3).
  if (!usage || purpose === "chain") return [];
  const out: CertificateFinding[] = [];
  const shown = usage.names.length ? usage.names.join(", ") : "none";
  if (purpose !== "encryption" && !usage.digitalSignature && !usage.nonRepudiation)
    out.push({
      message: `expected a certificate whose key usage allows signing (digitalSignature or nonRepudiation)${where}`,
      found: `key usage: ${shown}`,
    });
  if (purpose !== "signing" && !usage.keyEncipherment && !usage.dataEncipherment)
    out.push({
      message: `expected a certificate whose key usage allows encryption (keyEncipherment or dataEncipherment)${where}`,
      found: `key usage: ${shown}`,
    });
  return out;
}

/** Checks one certificate; `where` names the block when a file holds several. */
export function certificateFindings(
  cert: X509Certificate,
  purpose: CertificatePurpose,
  now: Date,
  where = "",
): CertificateFinding[] {
  const out: CertificateFinding[] = [];
  const notAfter = new Date(cert.validTo);
  const notBefore = new Date(cert.validFrom);
  if (notAfter.getTime() < now.getTime())
    out.push({ message: `expected a certificate that has not expired${where}`, found: `expired on ${day(notAfter)}` });
  // A certificate issued a moment ago may start a few minutes ahead of this clock.
  if (notBefore.getTime() > now.getTime() + CLOCK_SKEW_MS)
    out.push({
      message: `expected a certificate that is already valid${where}`,
      found: `valid from ${day(notBefore)}`,
    });
  const key = cert.publicKey;
  if (key.asymmetricKeyType !== "rsa")
    out.push({
      message: `expected an RSA key of ${MIN_RSA_BITS}-${MAX_RSA_BITS} bits (Transfer's AS2 key lengths)${where}`,
      found: `${key.asymmetricKeyType ?? "unknown"} key`,
    });
  else {
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < MIN_RSA_BITS || bits > MAX_RSA_BITS)
      out.push({
        message: `expected an RSA key of ${MIN_RSA_BITS}-${MAX_RSA_BITS} bits${where}`,
        found: `RSA ${bits} bits`,
      });
  }
  out.push(...usageFindings(purpose, keyUsageOf(cert.raw), where));
  return out;
}

/**
 * Reads a file's bytes as the certificate(s) it must hold. `chain` files may hold several
 * certificates; any other file exactly one (a partner's or station's own certificate).
 */
/**
 * Partners often share a certificate file (and a 1000-partner customer reads the same bytes 1000
 * times): parsing costs ~0.5 ms, so each (bytes, purpose, name, day) is inspected once.
 */
const inspected = new Map<string, InspectedCertificates>();

export function inspectCertificates(
  bytes: Buffer,
  purpose: CertificatePurpose,
  now = new Date(),
  fileName = "",
): InspectedCertificates {
  const key = `${purpose}\0${fileName}\0${Math.floor(now.getTime() / 86_400_000)}\0${bytes.toString("latin1")}`;
  let result = inspected.get(key);
  if (!result) {
    result = inspectUncached(bytes, purpose, now, fileName);
    inspected.set(key, result);
  }
  return result;
}

function inspectUncached(
  bytes: Buffer,
  purpose: CertificatePurpose,
  now: Date,
  fileName: string,
): InspectedCertificates {
  /** The file as the fix command names it (the customer file's relative path). */
  const shown = fileName || "<file>";
  const key = privateKeyMaterial(bytes, fileName);
  if (key)
    return {
      pem: "",
      findings: [
        {
          message:
            "expected a public certificate only, but the file holds private key material: keep only the " +
            `-----BEGIN CERTIFICATE----- block (e.g. \`openssl x509 -in ${shown} -out ${shown}.crt\`) and give the key ` +
            "as { secretsManagerArn } or { terraformVariable }",
          found: key,
        },
      ],
    };
  const text = bytes.toString("utf8");
  const blocks = [...text.matchAll(PEM_BLOCK)];
  const certificates = blocks.filter((m) => m[1] === "CERTIFICATE").map((m) => m[0].replace(/\r*\n|\r/g, "\n"));
  if (certificates.length === 0) {
    let der: X509Certificate | undefined;
    try {
      der = bytes[0] === 0x30 ? new X509Certificate(bytes) : undefined;
    } catch {
      der = undefined;
    }
    const other = blocks.map((m) => m[1]).filter((l) => !PRIVATE_KEY_LABEL.test(l!));
    return {
      pem: "",
      findings: [
        der
          ? {
              message:
                "expected a PEM certificate (-----BEGIN CERTIFICATE-----); this is DER: convert it with " +
                `\`openssl x509 -inform der -in ${shown} -out ${shown}.pem\``,
              found: "DER certificate",
            }
          : {
              message: "expected a PEM certificate (-----BEGIN CERTIFICATE-----)",
              found: other.length ? other.join(", ") : `${bytes.length} bytes without a CERTIFICATE block`,
            },
      ],
    };
  }
  const findings: CertificateFinding[] = [];
  if (purpose !== "chain" && certificates.length > 1)
    findings.push({
      message:
        "expected exactly one certificate: put the issuing certificates in the station's `chain` " +
        "(partners: keep only the partner's own certificate)",
      found: `${certificates.length} CERTIFICATE blocks`,
    });
  certificates.forEach((pem, i) => {
    const where = certificates.length > 1 ? ` (certificate ${i + 1} of ${certificates.length})` : "";
    let cert: X509Certificate;
    try {
      cert = new X509Certificate(pem);
    } catch (e) {
      findings.push({
        message: `expected a parseable X.509 certificate${where}`,
        found: (e as Error).message.split("\n")[0]!.slice(0, 80),
      });
      return;
    }
    if (purpose !== "chain" && i > 0) return;
    findings.push(...certificateFindings(cert, purpose, now, where));
  });
  return { pem: certificates.map((c) => `${c.trim()}\n`).join(""), findings };
}
