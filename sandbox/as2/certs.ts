/**
 * Key material for stations and partners. The sandbox generates throwaway RSA key pairs with
 * self-signed certificates when a customer file references keys it cannot read (Secrets Manager,
 * Terraform variables, keys the stack generates at apply time).
 */
import { generateKeyPairSync, randomBytes, X509Certificate, createPrivateKey, createPublicKey } from "node:crypto";
import forge from "node-forge";

export interface KeyPair {
  readonly certificatePem: string;
  /** PKCS#8 PEM. */
  readonly privateKeyPem: string;
}

export interface GenerateOptions {
  readonly commonName: string;
  /** @default 2048 */
  readonly bits?: number;
  /** @default 365 */
  readonly validityDays?: number;
}

export function generateKeyPair(options: GenerateOptions): KeyPair {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: options.bits ?? 2048 });
  return certificateForKey(privateKey.export({ type: "pkcs8", format: "pem" }).toString(), options);
}

/** A self-signed certificate for an existing private key (what `tls_self_signed_cert` makes). */
export function certificateForKey(privateKeyPem: string, options: Omit<GenerateOptions, "bits">): KeyPair {
  const privateKey = createPrivateKey(privateKeyPem);
  const publicKey = createPublicKey(privateKey);
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKey.export({ type: "spki", format: "pem" }).toString());
  // Positive serial: clear the top bit.
  const serial = randomBytes(12);
  serial[0] = serial[0]! & 0x7f;
  cert.serialNumber = serial.toString("hex");
  const now = new Date();
  cert.validity.notBefore = new Date(now.getTime() - 60_000);
  cert.validity.notAfter = new Date(now.getTime() + (options.validityDays ?? 365) * 86_400_000);
  const name = [
    { name: "commonName", value: options.commonName },
    { name: "organizationName", value: "as2-transfer-gateway sandbox" },
  ];
  cert.setSubject(name);
  cert.setIssuer(name);
  cert.setExtensions([
    { name: "basicConstraints", cA: false },
    { name: "keyUsage", digitalSignature: true, keyEncipherment: true, dataEncipherment: true },
  ]);
  const pkcs8 = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
  cert.sign(forge.pki.privateKeyFromPem(pkcs8), forge.md.sha256.create());
  return { certificatePem: forge.pki.certificateToPem(cert), privateKeyPem: pkcs8 };
}

/** DER bytes of the first certificate in a PEM text. */
export function certificateDer(pem: string): Buffer {
  return Buffer.from(new X509Certificate(pem).raw);
}

/** Every certificate in a PEM text (chains, bundles). */
export function splitPemCertificates(pem: string): string[] {
  return pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

/** PKCS#8 DER of a PEM private key (PKCS#1 or PKCS#8). */
export function privateKeyPkcs8Der(pem: string): Buffer {
  return createPrivateKey(pem).export({ type: "pkcs8", format: "der" });
}

export function isCertificatePem(text: string): boolean {
  return /-----BEGIN CERTIFICATE-----/.test(text);
}
