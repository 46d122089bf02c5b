/**
 * Certificates and keys made at test time (no private key is ever committed): node:crypto makes
 * the keys, node-forge the X.509 certificates with the extensions a test needs.
 */
import { generateKeyPairSync } from "node:crypto";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import forge from "node-forge";

export interface MadeCertificate {
  readonly certPem: string;
  readonly keyPem: string;
  readonly der: Buffer;
}

export interface CertOptions {
  readonly bits?: number;
  /** "ec": a P-256 certificate from openssl (the other options are ignored). */
  readonly keyType?: "rsa" | "ec";
  readonly notBefore?: Date;
  readonly notAfter?: Date;
  /** forge keyUsage flags, e.g. { digitalSignature: true }; omitted: no KeyUsage extension. */
  readonly keyUsage?: Record<string, boolean>;
  readonly commonName?: string;
}

const keys = new Map<string, { publicKey: string; privateKey: string }>();

function keyPair(type: "rsa" | "ec", bits: number) {
  const id = `${type}${bits}`;
  let k = keys.get(id);
  if (!k) {
    k =
      type === "rsa"
        ? generateKeyPairSync("rsa", {
            modulusLength: bits,
            publicKeyEncoding: { type: "spki", format: "pem" },
            privateKeyEncoding: { type: "pkcs8", format: "pem" },
          })
        : generateKeyPairSync("ec", {
            namedCurve: "prime256v1",
            publicKeyEncoding: { type: "spki", format: "pem" },
            privateKeyEncoding: { type: "pkcs8", format: "pem" },
          });
    keys.set(id, k);
  }
  return k;
}

const signer = () => keyPair("rsa", 2048);

/** forge has no EC keys: openssl makes the EC certificate. */
function ecCertificate(): MadeCertificate {
  const dir = mkdtempSync(join(tmpdir(), "ec-cert-"));
  try {
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-keyout",
        join(dir, "k.pem"),
        "-out",
        join(dir, "c.pem"),
        "-days",
        "30",
        "-subj",
        "/CN=EC-AS2",
      ],
      { stdio: "ignore" },
    );
    const certPem = readFileSync(join(dir, "c.pem"), "utf8");
    return {
      certPem,
      keyPem: readFileSync(join(dir, "k.pem"), "utf8"),
      der: Buffer.from(certPem.split("-----")[2]!.replace(/\s/g, ""), "base64"),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A self-issued certificate (signed by a throwaway key), with the options a test needs. */
export function makeCertificate(o: CertOptions = {}): MadeCertificate {
  if (o.keyType === "ec") return ecCertificate();
  const subjectKey = keyPair("rsa", o.bits ?? 2048);
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(subjectKey.publicKey);
  cert.serialNumber = "01";
  cert.validity.notBefore = o.notBefore ?? new Date(Date.now() - 86_400_000);
  cert.validity.notAfter = o.notAfter ?? new Date(Date.now() + 365 * 86_400_000);
  const attrs = [{ name: "commonName", value: o.commonName ?? "TEST-AS2" }];
  cert.setSubject(attrs);
  cert.setIssuer(attrs);
  if (o.keyUsage) cert.setExtensions([{ name: "keyUsage", ...o.keyUsage }]);
  cert.sign(forge.pki.privateKeyFromPem(signer().privateKey), forge.md.sha256.create());
  const certPem = forge.pki.certificateToPem(cert);
  const der = Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(cert)).getBytes(), "binary");
  return { certPem, keyPem: subjectKey.privateKey, der };
}

/** The key of a made certificate in another encoding, for the private-key catalogue. */
export function keyIn(
  format: "pkcs1" | "sec1" | "encrypted-pkcs8" | "der-pkcs8" | "openssh" | "pkcs12",
  made?: MadeCertificate,
): Buffer {
  const m = made ?? makeCertificate();
  const forgeKey = forge.pki.privateKeyFromPem(m.keyPem);
  switch (format) {
    case "pkcs1":
      return Buffer.from(forge.pki.privateKeyToPem(forgeKey));
    case "sec1":
      return Buffer.from(
        generateKeyPairSync("ec", {
          namedCurve: "prime256v1",
          publicKeyEncoding: { type: "spki", format: "pem" },
          privateKeyEncoding: { type: "sec1", format: "pem" },
        }).privateKey,
      );
    case "encrypted-pkcs8":
      return Buffer.from(forge.pki.encryptRsaPrivateKey(forgeKey, "secret"));
    case "der-pkcs8":
      return Buffer.from(
        forge.asn1.toDer(forge.pki.wrapRsaPrivateKey(forge.pki.privateKeyToAsn1(forgeKey))).getBytes(),
        "binary",
      );
    case "openssh":
      // The OpenSSH container (PROTOCOL.key): only its armour matters to the detector.
      return Buffer.from(
        `-----BEGIN OPENSSH PRIVATE KEY-----\n${Buffer.from("openssh-key-v1\0none\0none\0").toString("base64")}\n-----END OPENSSH PRIVATE KEY-----\n`,
      );
    case "pkcs12": {
      const cert = forge.pki.certificateFromPem(m.certPem);
      const p12 = forge.pkcs12.toPkcs12Asn1(forgeKey, [cert], "secret", { algorithm: "3des" });
      return Buffer.from(forge.asn1.toDer(p12).getBytes(), "binary");
    }
  }
}
