/**
 * CMS (RFC 5652) for AS2, on well-kept libraries:
 * - SignedData (detached signatures) with PKIjs over WebCrypto;
 * - EnvelopedData with node-forge, which implements RSAES-PKCS1-v1_5 key transport and 3DES
 *   itself (Node 20 refuses PKCS#1 v1.5 private decryption, and WebCrypto has neither), which
 *   is what AS2 partners and `openssl cms -encrypt` use;
 * - CompressedData (RFC 3274, ZLIB) composed from PKIjs/asn1js structures and Node's zlib.
 */
import { createHash, webcrypto } from "node:crypto";
import { deflateSync, inflateSync } from "node:zlib";
import * as asn1js from "asn1js";
import * as pkijs from "pkijs";
import forge from "node-forge";
import { CIPHERS, DIGESTS, OID, encryptionAlgorithmFromOid, signingAlgorithmFromOid } from "./algorithms";
import type { EncryptionAlgorithm, SigningAlgorithm } from "./algorithms";
import { As2Error } from "./errors";
import { certificateDer, privateKeyPkcs8Der } from "./certs";
import { RSAES_OAEP_OID, unwrapOaepKey } from "./key-transport";

pkijs.setEngine(
  "node",
  new pkijs.CryptoEngine({
    name: "node",
    crypto: webcrypto,
  }),
);

function toArrayBuffer(buf: Buffer): ArrayBuffer {
  return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
}

function parseContentInfo(der: Buffer): pkijs.ContentInfo {
  const asn = asn1js.fromBER(toArrayBuffer(der));
  if (asn.offset === -1) throw new Error(`not a CMS structure: ${asn.result.error}`);
  return new pkijs.ContentInfo({ schema: asn.result });
}

/** The CMS content type of a DER/BER blob, or undefined when it is not CMS. */
export function cmsContentType(der: Buffer): string | undefined {
  try {
    return parseContentInfo(der).contentType;
  } catch {
    return undefined;
  }
}

/** Content of an OCTET STRING, primitive or constructed (BER allows both). */
function octets(os: asn1js.OctetString): Buffer {
  if (!os.idBlock.isConstructed) return Buffer.from(os.valueBlock.valueHexView);
  return Buffer.concat(os.valueBlock.value.map((v) => octets(v as asn1js.OctetString)));
}

// ------------------------------------------------------------------ signatures

export interface SignOptions {
  readonly certificatePem: string;
  readonly privateKeyPem: string;
  readonly algorithm: SigningAlgorithm;
}

/** Detached SignedData (DER) over `content`, with contentType, signingTime and messageDigest attributes. */
export async function signDetached(content: Buffer, options: SignOptions): Promise<Buffer> {
  const digest = DIGESTS[options.algorithm];
  const cert = pkijs.Certificate.fromBER(certificateDer(options.certificatePem));
  const messageDigest = createHash(digest.node).update(content).digest();
  const signedData = new pkijs.SignedData({
    version: 1,
    encapContentInfo: new pkijs.EncapsulatedContentInfo({ eContentType: OID.data }),
    signerInfos: [
      new pkijs.SignerInfo({
        version: 1,
        sid: new pkijs.IssuerAndSerialNumber({ issuer: cert.issuer, serialNumber: cert.serialNumber }),
        signedAttrs: new pkijs.SignedAndUnsignedAttributes({
          type: 0,
          attributes: [
            new pkijs.Attribute({ type: OID.contentType, values: [new asn1js.ObjectIdentifier({ value: OID.data })] }),
            new pkijs.Attribute({ type: OID.signingTime, values: [new asn1js.UTCTime({ valueDate: new Date() })] }),
            new pkijs.Attribute({
              type: OID.messageDigest,
              values: [new asn1js.OctetString({ valueHex: toArrayBuffer(messageDigest) })],
            }),
          ],
        }),
      }),
    ],
    certificates: [cert],
  });
  const key = await webcrypto.subtle.importKey(
    "pkcs8",
    privateKeyPkcs8Der(options.privateKeyPem),
    { name: "RSASSA-PKCS1-v1_5", hash: digest.webcrypto },
    false,
    ["sign"],
  );
  await signedData.sign(key, 0, digest.webcrypto);
  const ci = new pkijs.ContentInfo({ contentType: OID.signedData, content: signedData.toSchema(true) });
  return Buffer.from(ci.toSchema().toBER(false));
}

export interface VerifyResult {
  readonly algorithm: SigningAlgorithm | undefined;
  /** Subject of the certificate that verified. */
  readonly signer: string;
}

function sameSerial(a: asn1js.Integer, b: asn1js.Integer): boolean {
  return Buffer.from(a.valueBlock.valueHexView).equals(Buffer.from(b.valueBlock.valueHexView));
}

/**
 * Verifies a detached signature against the certificates we trust for the sender (never the
 * certificates carried in the message: a message signed by anybody else must fail).
 * Throws As2Error VERIFICATION_FAILED_NO_MATCHING_KEY_FOUND when no trusted certificate is the
 * signer, VERIFICATION_FAILED when the signature or digest does not match.
 */
export async function verifyDetached(
  signatureDer: Buffer,
  content: Buffer,
  trustedCertificatePems: readonly string[],
): Promise<VerifyResult> {
  let signedData: pkijs.SignedData;
  try {
    const ci = parseContentInfo(signatureDer);
    if (ci.contentType !== OID.signedData) throw new Error(`content type ${ci.contentType}`);
    signedData = new pkijs.SignedData({ schema: ci.content });
  } catch (e) {
    throw new As2Error("VERIFICATION_FAILED", `signature is not a CMS SignedData: ${(e as Error).message}`);
  }
  const signerInfo = signedData.signerInfos[0];
  if (!signerInfo) throw new As2Error("VERIFICATION_FAILED", "signature has no signer");
  const trusted = trustedCertificatePems.map((p) => pkijs.Certificate.fromBER(certificateDer(p)));
  // eslint-disable-next-line @typescript-eslint/no-unsafe-assignment -- pkijs types the signer id loosely
  const sid = signerInfo.sid;
  const match = trusted.find((c) => {
    if (sid instanceof pkijs.IssuerAndSerialNumber)
      return sameSerial(c.serialNumber, sid.serialNumber) && c.issuer.isEqual(sid.issuer);
    // SubjectKeyIdentifier: compare with the certificate's extension.
    const ski = c.extensions?.find((x) => x.extnID === "2.5.29.14")?.parsedValue as asn1js.OctetString | undefined;
    return (
      ski !== undefined &&
      Buffer.from(ski.valueBlock.valueHexView).equals(Buffer.from((sid as asn1js.OctetString).valueBlock.valueHexView))
    );
  });
  if (!match) {
    throw new As2Error(
      "VERIFICATION_FAILED_NO_MATCHING_KEY_FOUND",
      "No public certificate matching message signature could be found in the partner profile",
    );
  }
  signedData.certificates = [match];
  let ok = false;
  let reason = "signature does not match the content";
  try {
    const result = await signedData.verify({
      signer: 0,
      data: toArrayBuffer(content),
      checkChain: false,
      extendedMode: true,
    });
    ok = result.signatureVerified === true;
  } catch (e) {
    reason = (e as Error).message || reason;
  }
  if (!ok) throw new As2Error("VERIFICATION_FAILED", `Signature verification failed: ${reason}`);
  const cn = match.subject.typesAndValues.find((t) => t.type === "2.5.4.3")?.value.valueBlock.value;
  return { algorithm: signingAlgorithmFromOid(signerInfo.digestAlgorithm.algorithmId), signer: String(cn ?? "") };
}

/** The certificates a SignedData carries, as PEM (diagnostics and interop tests; never trusted for verification). */
export function signatureCertificates(signatureDer: Buffer): string[] {
  const sd = new pkijs.SignedData({ schema: parseContentInfo(signatureDer).content });
  return (sd.certificates ?? [])
    .filter((c): c is pkijs.Certificate => c instanceof pkijs.Certificate)
    .map((c) => {
      const b64 = Buffer.from(c.toSchema().toBER(false)).toString("base64");
      return `-----BEGIN CERTIFICATE-----\n${(b64.match(/.{1,64}/g) ?? []).join("\n")}\n-----END CERTIFICATE-----\n`;
    });
}

// ------------------------------------------------------------------ encryption

/** EnvelopedData (DER) for one recipient, RSAES-PKCS1-v1_5 key transport. */
export function encrypt(content: Buffer, recipientCertificatePem: string, algorithm: EncryptionAlgorithm): Buffer {
  const p7 = forge.pkcs7.createEnvelopedData();
  p7.addRecipient(forge.pki.certificateFromPem(recipientCertificatePem));
  p7.content = forge.util.createBuffer(content.toString("binary"));
  (p7.encrypt as (key?: unknown, cipher?: string) => void)(undefined, CIPHERS[algorithm].oid);
  return Buffer.from(forge.asn1.toDer(p7.toAsn1()).getBytes(), "binary");
}

export interface DecryptKey {
  readonly certificatePem: string;
  readonly privateKeyPem: string;
}

interface ForgeRecipient {
  encryptedContent: { algorithm: string; content: string };
}

interface ForgeEnveloped {
  recipients: unknown[];
  encryptedContent: { algorithm: string; key?: forge.util.ByteStringBuffer };
  content?: forge.util.ByteStringBuffer;
  findRecipient(cert: forge.pki.Certificate): ForgeRecipient | null;
  decrypt(recipient?: unknown, key?: forge.pki.rsa.PrivateKey): void;
}

/** Decrypts EnvelopedData with the first of `keys` that is a recipient. */
export function decrypt(
  der: Buffer,
  keys: readonly DecryptKey[],
): { content: Buffer; algorithm: EncryptionAlgorithm | undefined } {
  let p7: ForgeEnveloped;
  try {
    p7 = forge.pkcs7.messageFromAsn1(forge.asn1.fromDer(der.toString("binary"), false)) as unknown as ForgeEnveloped;
  } catch (e) {
    throw new As2Error(
      "DECRYPT_FAILED_INVALID_SMIME_FORMAT",
      `encrypted content is not a CMS EnvelopedData: ${(e as Error).message}`,
    );
  }
  for (const k of keys) {
    const recipient = p7.findRecipient(forge.pki.certificateFromPem(k.certificatePem));
    if (!recipient) continue;
    try {
      const privateKey = forge.pki.privateKeyFromPem(k.privateKeyPem);
      if (recipient.encryptedContent.algorithm === RSAES_OAEP_OID) {
        // forge reads PKCS#1 v1.5 only: unwrap the key here, forge decrypts the content with it.
        p7.encryptedContent.key = forge.util.createBuffer(
          unwrapOaepKey(der, recipient.encryptedContent.content, privateKey),
        );
        p7.decrypt();
      } else p7.decrypt(recipient, privateKey);
    } catch (e) {
      throw new As2Error("DECRYPT_FAILED", `decryption failed: ${(e as Error).message}`);
    }
    if (!p7.content) throw new As2Error("DECRYPT_FAILED", "decryption failed: wrong key or corrupted content");
    return {
      content: Buffer.from(p7.content.getBytes(), "binary"),
      algorithm: encryptionAlgorithmFromOid(p7.encryptedContent.algorithm),
    };
  }
  throw new As2Error("DECRYPT_FAILED_NO_DECRYPTION_KEY_FOUND", "No matching decryption key found.");
}

// ------------------------------------------------------------------ compression

/** CompressedData (RFC 3274) with ZLIB. */
export function compress(content: Buffer): Buffer {
  const compressed = new asn1js.Sequence({
    value: [
      new asn1js.Integer({ value: 0 }),
      new pkijs.AlgorithmIdentifier({ algorithmId: OID.zlib }).toSchema(),
      new pkijs.EncapsulatedContentInfo({
        eContentType: OID.data,
        eContent: new asn1js.OctetString({ valueHex: toArrayBuffer(deflateSync(content)) }),
      }).toSchema(),
    ],
  });
  const ci = new pkijs.ContentInfo({ contentType: OID.compressedData, content: compressed });
  return Buffer.from(ci.toSchema().toBER(false));
}

export function decompress(der: Buffer): Buffer {
  try {
    const ci = parseContentInfo(der);
    if (ci.contentType !== OID.compressedData) throw new Error(`content type ${ci.contentType}`);
    const seq = ci.content as asn1js.Sequence;
    const [, alg, encap] = seq.valueBlock.value;
    const algorithm = new pkijs.AlgorithmIdentifier({ schema: alg });
    if (algorithm.algorithmId !== OID.zlib)
      throw new Error(`compression algorithm ${algorithm.algorithmId} is not ZLIB`);
    const info = new pkijs.EncapsulatedContentInfo({ schema: encap });
    if (!info.eContent) throw new Error("no compressed content");
    return inflateSync(octets(info.eContent));
  } catch (e) {
    throw new As2Error("DECOMPRESSION_FAILED", `decompression failed: ${(e as Error).message}`);
  }
}
