/**
 * RSAES-OAEP key transport on receive (RFC 3560; RFC 5751 rates receiving it SHOULD+). node-forge
 * decrypts EnvelopedData only with RSAES-PKCS1-v1_5 ("Unsupported asymmetric cipher, OID
 * 1.2.840.113549.1.1.7"); for an OAEP recipient the content-encryption key is unwrapped here, with
 * the hash and MGF1 hash of its RSAES-OAEP-params (SHA-1 when absent, as RFC 3560 defines), and
 * forge decrypts the content with it. Sending stays PKCS#1 v1.5.
 */
import * as asn1js from "asn1js";
import * as pkijs from "pkijs";
import forge from "node-forge";

export const RSAES_OAEP_OID = "1.2.840.113549.1.1.7";

const HASHES: Record<string, () => forge.md.MessageDigest> = {
  "1.3.14.3.2.26": () => forge.md.sha1.create(),
  "2.16.840.1.101.3.4.2.1": () => forge.md.sha256.create(),
  "2.16.840.1.101.3.4.2.2": () => forge.md.sha384.create(),
  "2.16.840.1.101.3.4.2.3": () => forge.md.sha512.create(),
};

function hashOf(oid: string): () => forge.md.MessageDigest {
  const h = HASHES[oid];
  if (!h) throw new Error(`RSAES-OAEP with hash ${oid} is not supported (SHA-1, SHA-256, SHA-384, SHA-512 are)`);
  return h;
}

/** The RSAES-OAEP-params of the recipient whose encrypted key is `encryptedKey` (DER of the whole EnvelopedData). */
function oaepParams(der: Buffer, encryptedKey: Buffer): { hash: string; mgf1Hash: string } {
  const asn = asn1js.fromBER(new Uint8Array(der).buffer);
  const ci = new pkijs.ContentInfo({ schema: asn.result });
  const env = new pkijs.EnvelopedData({ schema: ci.content });
  for (const r of env.recipientInfos) {
    const ktri = r.value;
    if (!(ktri instanceof pkijs.KeyTransRecipientInfo)) continue;
    if (!Buffer.from(ktri.encryptedKey.valueBlock.valueHexView).equals(encryptedKey)) continue;
    const params = ktri.keyEncryptionAlgorithm.algorithmParams as asn1js.AsnType | undefined;
    if (!params || !(params instanceof asn1js.Sequence)) return { hash: "1.3.14.3.2.26", mgf1Hash: "1.3.14.3.2.26" };
    const p = new pkijs.RSAESOAEPParams({ schema: params });
    const mgfHash = p.maskGenAlgorithm.algorithmParams as asn1js.AsnType | undefined;
    return {
      hash: p.hashAlgorithm.algorithmId,
      mgf1Hash: mgfHash ? new pkijs.AlgorithmIdentifier({ schema: mgfHash }).algorithmId : "1.3.14.3.2.26",
    };
  }
  return { hash: "1.3.14.3.2.26", mgf1Hash: "1.3.14.3.2.26" };
}

/** The content-encryption key of an OAEP recipient, unwrapped with `key` (forge byte string). */
export function unwrapOaepKey(der: Buffer, encryptedKeyBytes: string, key: forge.pki.rsa.PrivateKey): string {
  const { hash, mgf1Hash } = oaepParams(der, Buffer.from(encryptedKeyBytes, "binary"));
  return key.decrypt(encryptedKeyBytes, "RSA-OAEP", { md: hashOf(hash)(), mgf1: { md: hashOf(mgf1Hash)() } });
}
