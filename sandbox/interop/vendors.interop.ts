/**
 * The receiving side against messages and MDNs produced by other AS2 products. The captures are
 * HTTP headers, a blank line, then the body; some lost their CRs on the way into a repository,
 * which the signed-content canonicalization must survive.
 */
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import forge from "node-forge";
import {
  parseMdn,
  splitHttpCapture,
  unpackMessage,
  signatureCertificates,
  splitMultipart,
  parseEntity,
  contentTypeOf,
  decodeBody,
} from "../as2";
import type { DecryptKey } from "../as2";

// Relative paths are relative to the repository root (where npm runs scripts).
const DIR = resolve(process.cwd(), process.env["AS2_INTEROP_DIR"] ?? "../shared/fixtures/as2-interop");
if (!existsSync(join(DIR, "cert_test.p12"))) {
  throw new Error(`AS2 interop fixtures not found in ${DIR}: set AS2_INTEROP_DIR to the as2-interop folder`);
}
const read = (name: string) => readFileSync(join(DIR, name));

/** The receiver's key from the legacy PKCS#12 (password "test"). */
function receiverKey(): DecryptKey {
  const p12 = forge.pkcs12.pkcs12FromAsn1(forge.asn1.fromDer(read("cert_test.p12").toString("binary")), "test");
  const keyBag = forge.pki.oids["pkcs8ShroudedKeyBag"]!;
  const certBag = forge.pki.oids["certBag"]!;
  const key = p12.getBags({ bagType: keyBag })[keyBag]?.[0]?.key;
  const cert = p12.getBags({ bagType: certBag })[certBag]?.[0]?.cert;
  if (!key || !cert) throw new Error("cert_test.p12 holds no key and certificate");
  return { certificatePem: forge.pki.certificateToPem(cert), privateKeyPem: forge.pki.privateKeyToPem(key) };
}

const key = receiverKey();
const mendelson = read("cert_mecas2_public.pem").toString("utf8");
const sterling = read("cert_sb2bi_public.pem").toString("utf8");
const textPayload = read("payload.txt").toString("latin1");
const sameText = (b: Buffer) => b.toString("latin1").replace(/\r\n/g, "\n") === textPayload.replace(/\r\n/g, "\n");

describe("Mendelson AS2 messages to pyas2lib", () => {
  const cases: Array<[string, { encrypted: boolean; signed: boolean; compressed: boolean }]> = [
    ["mecas2_signed.as2", { encrypted: false, signed: true, compressed: false }],
    ["mecas2_encrypted.as2", { encrypted: true, signed: false, compressed: false }],
    ["mecas2_signed_encrypted.as2", { encrypted: true, signed: true, compressed: false }],
    ["mecas2_compressed.as2", { encrypted: false, signed: true, compressed: true }],
    ["mecas2_compressed_signed_encrypted.as2", { encrypted: true, signed: true, compressed: true }],
  ];
  it.each(cases)("%s is decrypted, decompressed and verified", async (name, flags) => {
    const { headers, body } = splitHttpCapture(read(name));
    const m = await unpackMessage(headers, body, {
      decryptKeys: [key],
      verifyCertificates: [mendelson],
      requireSignature: flags.signed,
    });
    expect(m).toMatchObject({ as2From: "mecas2", as2To: "pyas2lib", ...flags });
    expect(m.messageId).toMatch(/^mendelson_opensource_AS2-\d+-\d+@mecas2_pyas2lib$/);
    expect(sameText(m.payload)).toBe(true);
    if (flags.encrypted) expect(m.encryptionAlgorithm).toBe("DES_EDE3_CBC");
    if (flags.signed) {
      expect(m.signingAlgorithm).toBe("SHA256");
      expect(m.fileName).toBe("payload.txt");
    }
  });

  it("a signed message fails verification against another partner's certificate", async () => {
    const { headers, body } = splitHttpCapture(read("mecas2_signed.as2"));
    await expect(
      unpackMessage(headers, body, { decryptKeys: [key], verifyCertificates: [sterling] }),
    ).rejects.toMatchObject({
      code: "VERIFICATION_FAILED_NO_MATCHING_KEY_FOUND",
    });
  });

  it("an encrypted message without our key fails with DECRYPT_FAILED_NO_DECRYPTION_KEY_FOUND", async () => {
    const { headers, body } = splitHttpCapture(read("mecas2_signed_encrypted.as2"));
    const { generateKeyPair } = await import("../as2");
    await expect(
      unpackMessage(headers, body, {
        decryptKeys: [generateKeyPair({ commonName: "other" })],
        verifyCertificates: [mendelson],
      }),
    ).rejects.toMatchObject({
      code: "DECRYPT_FAILED_NO_DECRYPTION_KEY_FOUND",
    });
  });
});

describe("Mendelson AS2 MDNs", () => {
  it("parses the unsigned negative MDN", async () => {
    const { headers, body } = splitHttpCapture(read("mecas2_unsigned.mdn"));
    const mdn = await parseMdn(headers, body);
    expect(mdn).toMatchObject({
      signed: false,
      status: "processed/error",
      modifier: "authentication-failed",
      originalMessageId: "20161230102316.10728.85252@imac.local",
    });
    expect(mdn.reportingUa).toBe("mendelson opensource AS2");
  });

  it("verifies the signed MDN with the certificate that signed it, and not with a later Mendelson certificate", async () => {
    const { headers, body } = splitHttpCapture(read("mecas2_signed.mdn"));
    const ct = contentTypeOf({ headers: [["content-type", headers["content-type"]!]], body });
    const [, sigPart] = splitMultipart(body, ct.params["boundary"]!) as [Buffer, Buffer];
    // The capture (2016) predates cert_mecas2_public.pem (2017): its signer is the certificate it carries.
    const [carried] = signatureCertificates(decodeBody(parseEntity(sigPart)));
    const mdn = await parseMdn(headers, body, { verifyCertificates: [carried!], requireSignature: true });
    expect(mdn).toMatchObject({
      signed: true,
      status: "processed",
      originalMessageId: "20161230102456.10748.40759@imac.local",
    });
    expect(mdn.mic).toEqual({ value: "O4bvrm5t2YunRfwvZicNdEUmPaPZ9vUslX8loVLDck0=", algorithm: "SHA256" });
    await expect(parseMdn(headers, body, { verifyCertificates: [mendelson] })).rejects.toMatchObject({
      code: "VERIFICATION_FAILED_NO_MATCHING_KEY_FOUND",
    });
  });
});

describe("IBM Sterling B2B Integrator", () => {
  it("accepts the signed, compressed message (signature without signed attributes, SHA-1)", async () => {
    const { headers, body } = splitHttpCapture(read("sb2bi_signed_cmp.msg"));
    const m = await unpackMessage(headers, body, {
      decryptKeys: [key],
      verifyCertificates: [sterling],
      requireSignature: true,
    });
    expect(m).toMatchObject({
      as2From: "SIAS2PRD",
      as2To: "as2server",
      signed: true,
      signingAlgorithm: "SHA1",
      compressed: true,
      encrypted: false,
    });
    expect(m.payload.toString("latin1")).toMatch(/^ISA\*/);
    expect(m.mdn).toEqual({ requested: true, signed: "SHA1" });
  });

  it("verifies and parses the signed MDN", async () => {
    const { headers, body } = splitHttpCapture(read("sb2bi_signed.mdn"));
    const mdn = await parseMdn(headers, body, { verifyCertificates: [sterling], requireSignature: true });
    expect(mdn).toMatchObject({
      signed: true,
      status: "processed",
      originalMessageId: "151694007918.24690.7052273208458909245@ip-172-31-14-209.ec2.internal",
      mic: { value: "wNh76aEicfBurg/et2wio4zk/2I=", algorithm: "SHA1" },
    });
  });
});
