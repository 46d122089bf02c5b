/**
 * Algorithm names as the customer model spells them (Transfer's), mapped to what the wire and
 * the crypto libraries use.
 */
export type SigningAlgorithm = "SHA1" | "SHA256" | "SHA384" | "SHA512";
export type EncryptionAlgorithm = "AES128_CBC" | "AES192_CBC" | "AES256_CBC" | "DES_EDE3_CBC";

interface DigestInfo {
  /** Node's hash name. */
  readonly node: string;
  /** WebCrypto's hash name. */
  readonly webcrypto: string;
  readonly oid: string;
  /** `micalg` parameter (RFC 5751) and `Received-Content-MIC` algorithm name. */
  readonly micalg: string;
}

export const DIGESTS: Record<SigningAlgorithm, DigestInfo> = {
  SHA1: { node: "sha1", webcrypto: "SHA-1", oid: "1.3.14.3.2.26", micalg: "sha1" },
  SHA256: { node: "sha256", webcrypto: "SHA-256", oid: "2.16.840.1.101.3.4.2.1", micalg: "sha-256" },
  SHA384: { node: "sha384", webcrypto: "SHA-384", oid: "2.16.840.1.101.3.4.2.2", micalg: "sha-384" },
  SHA512: { node: "sha512", webcrypto: "SHA-512", oid: "2.16.840.1.101.3.4.2.3", micalg: "sha-512" },
};

/** Accepts every spelling seen in the wild: `sha1`, `SHA-1`, `sha-256`, `sha256`, `SHA256`. */
export function signingAlgorithmFromName(name: string | undefined): SigningAlgorithm | undefined {
  if (!name) return undefined;
  const n = name.trim().toLowerCase().replace(/[-_]/g, "");
  const map: Record<string, SigningAlgorithm> = { sha1: "SHA1", sha256: "SHA256", sha384: "SHA384", sha512: "SHA512" };
  return map[n];
}

export function signingAlgorithmFromOid(oid: string): SigningAlgorithm | undefined {
  return (Object.keys(DIGESTS) as SigningAlgorithm[]).find((k) => DIGESTS[k].oid === oid);
}

export const CIPHERS: Record<EncryptionAlgorithm, { readonly oid: string; readonly openssl: string }> = {
  AES128_CBC: { oid: "2.16.840.1.101.3.4.1.2", openssl: "aes-128-cbc" },
  AES192_CBC: { oid: "2.16.840.1.101.3.4.1.22", openssl: "aes-192-cbc" },
  AES256_CBC: { oid: "2.16.840.1.101.3.4.1.42", openssl: "aes-256-cbc" },
  DES_EDE3_CBC: { oid: "1.2.840.113549.3.7", openssl: "des-ede3-cbc" },
};

export function encryptionAlgorithmFromOid(oid: string): EncryptionAlgorithm | undefined {
  return (Object.keys(CIPHERS) as EncryptionAlgorithm[]).find((k) => CIPHERS[k].oid === oid);
}

export const OID = {
  data: "1.2.840.113549.1.7.1",
  signedData: "1.2.840.113549.1.7.2",
  envelopedData: "1.2.840.113549.1.7.3",
  compressedData: "1.2.840.113549.1.9.16.1.9",
  zlib: "1.2.840.113549.1.9.16.3.8",
  contentType: "1.2.840.113549.1.9.3",
  messageDigest: "1.2.840.113549.1.9.4",
  signingTime: "1.2.840.113549.1.9.5",
} as const;
