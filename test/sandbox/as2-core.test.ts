/** The AS2 core against itself: every algorithm combination, MDNs, and each failure's code. */
import {
  As2Error,
  buildMdn,
  buildMessage,
  generateKeyPair,
  parseMdn,
  unpackMessage,
  splitMultipart,
  parseEntity,
  canonicalize,
} from "../../sandbox/as2";
import type { EncryptionAlgorithm, SigningAlgorithm } from "../../sandbox/as2";

const station = generateKeyPair({ commonName: "STATION" });
const partner = generateKeyPair({ commonName: "PARTNER" });
const stranger = generateKeyPair({ commonName: "STRANGER" });
const payload = Buffer.concat([
  Buffer.from("ISA*00*          *00*\r\nGS*IN\nbinary:"),
  Buffer.from([0, 1, 2, 13, 10, 255, 13]),
]);

async function roundTrip(
  signing: SigningAlgorithm | undefined,
  encryption: EncryptionAlgorithm | undefined,
  compress: boolean,
) {
  const built = await buildMessage({
    from: "STATION",
    to: "PARTNER",
    payload,
    fileName: "invoice 1.edi",
    compress,
    ...(signing ? { signing: { algorithm: signing, ...station } } : {}),
    ...(encryption ? { encryption: { algorithm: encryption, certificatePem: partner.certificatePem } } : {}),
    mdn: { signed: "SHA256" },
  });
  const received = await unpackMessage(built.headers, built.body, {
    decryptKeys: [partner],
    verifyCertificates: [station.certificatePem],
  });
  return { built, received };
}

describe("AS2 messages", () => {
  // Every algorithm at least once, with and without each layer (a covering set, not the full
  // cartesian product: each case costs a pure-JS RSA decryption).
  const cases: Array<[SigningAlgorithm | undefined, EncryptionAlgorithm | undefined, boolean]> = [
    ["SHA1", "AES128_CBC", true],
    ["SHA256", "AES192_CBC", false],
    ["SHA384", "AES256_CBC", true],
    ["SHA512", "DES_EDE3_CBC", false],
    ["SHA256", undefined, true],
    ["SHA512", undefined, false],
    [undefined, "AES256_CBC", true],
    [undefined, "DES_EDE3_CBC", false],
    [undefined, undefined, true],
    [undefined, undefined, false],
  ];
  it.each(cases)("round-trips signing=%s encryption=%s compress=%s", async (signing, encryption, compress) => {
    const { built, received } = await roundTrip(signing, encryption, compress);
    expect(received.payload.equals(payload)).toBe(true);
    expect(received.fileName).toBe("invoice 1.edi");
    expect(received.signed).toBe(signing !== undefined);
    expect(received.signingAlgorithm).toBe(signing);
    expect(received.encrypted).toBe(encryption !== undefined);
    expect(received.encryptionAlgorithm).toBe(encryption);
    expect(received.compressed).toBe(compress);
    expect(received.messageId).toBe(built.messageId);
    expect(received.mdn).toEqual({ requested: true, signed: "SHA256" });
    // The receiver computes the MIC the sender expects back.
    expect(received.mic).toEqual(built.mic);
  });

  it("writes the RFC 4130 headers", async () => {
    const { built } = await roundTrip("SHA256", "AES256_CBC", true);
    expect(built.headers).toMatchObject({
      "AS2-Version": "1.2",
      "AS2-From": "STATION",
      "AS2-To": "PARTNER",
      "MIME-Version": "1.0",
      "Disposition-Notification-To": "as2@localhost",
      "Disposition-Notification-Options":
        "signed-receipt-protocol=optional, pkcs7-signature; signed-receipt-micalg=optional, sha-256",
    });
    expect(built.headers["Message-ID"]).toBe(`<${built.messageId}>`);
    expect(built.headers["Content-Type"]).toMatch(/^application\/pkcs7-mime; smime-type=enveloped-data/);
  });

  it("declares micalg on a signed, unencrypted message and quotes AS2 names with spaces", async () => {
    const built = await buildMessage({
      from: "MY STATION",
      to: "P",
      payload,
      fileName: "a.edi",
      compress: false,
      signing: { algorithm: "SHA384", ...station },
    });
    expect(built.headers["Content-Type"]).toMatch(
      /^multipart\/signed; protocol="application\/pkcs7-signature"; micalg=sha-384; boundary=/,
    );
    expect(built.headers["AS2-From"]).toBe('"MY STATION"');
    const received = await unpackMessage(built.headers, built.body, {
      decryptKeys: [],
      verifyCertificates: [station.certificatePem],
    });
    expect(received.as2From).toBe("MY STATION");
    expect(received.mdn.requested).toBe(false);
  });

  it("fails a signature by anybody else with VERIFICATION_FAILED_NO_MATCHING_KEY_FOUND", async () => {
    const built = await buildMessage({
      from: "S",
      to: "P",
      payload,
      fileName: "a",
      compress: false,
      signing: { algorithm: "SHA256", ...stranger },
      encryption: { algorithm: "AES128_CBC", certificatePem: partner.certificatePem },
    });
    await expect(
      unpackMessage(built.headers, built.body, {
        decryptKeys: [partner],
        verifyCertificates: [station.certificatePem],
      }),
    ).rejects.toMatchObject({
      code: "VERIFICATION_FAILED_NO_MATCHING_KEY_FOUND",
    });
  });

  it("fails tampered content with VERIFICATION_FAILED", async () => {
    const built = await buildMessage({
      from: "S",
      to: "P",
      payload: Buffer.from("amount=100"),
      fileName: "a",
      compress: false,
      signing: { algorithm: "SHA256", ...station },
    });
    const tampered = Buffer.from(built.body.toString("latin1").replace("amount=100", "amount=900"), "latin1");
    await expect(
      unpackMessage(built.headers, tampered, { decryptKeys: [], verifyCertificates: [station.certificatePem] }),
    ).rejects.toMatchObject({ code: "VERIFICATION_FAILED" });
  });

  it("fails a message encrypted for another certificate with DECRYPT_FAILED_NO_DECRYPTION_KEY_FOUND", async () => {
    const built = await buildMessage({
      from: "S",
      to: "P",
      payload,
      fileName: "a",
      compress: false,
      encryption: { algorithm: "AES256_CBC", certificatePem: stranger.certificatePem },
    });
    const err = await unpackMessage(built.headers, built.body, {
      decryptKeys: [partner],
      verifyCertificates: [],
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(As2Error);
    expect(err).toMatchObject({
      code: "DECRYPT_FAILED_NO_DECRYPTION_KEY_FOUND",
      dispositionModifier: "decryption-failed",
    });
  });

  it("refuses an unsigned message when the agreement enforces signing", async () => {
    const built = await buildMessage({
      from: "S",
      to: "P",
      payload,
      fileName: "a",
      compress: true,
      encryption: { algorithm: "AES256_CBC", certificatePem: partner.certificatePem },
    });
    await expect(
      unpackMessage(built.headers, built.body, {
        decryptKeys: [partner],
        verifyCertificates: [station.certificatePem],
        requireSignature: true,
      }),
    ).rejects.toMatchObject({
      code: "VERIFICATION_FAILED",
    });
  });
});

describe("MDNs", () => {
  it("builds a signed MDN that parses, verifies and returns the MIC", async () => {
    const mic = { value: "abc=", algorithm: "SHA256" as const };
    const mdn = await buildMdn({
      from: "PARTNER",
      to: "STATION",
      originalMessageId: "m1@STATION",
      mic,
      signing: { algorithm: "SHA256", ...partner },
    });
    expect(mdn.headers["Content-Type"]).toMatch(/^multipart\/signed/);
    const parsed = await parseMdn(mdn.headers, mdn.body, {
      verifyCertificates: [partner.certificatePem],
      requireSignature: true,
    });
    expect(parsed).toMatchObject({
      as2From: "PARTNER",
      as2To: "STATION",
      signed: true,
      originalMessageId: "m1@STATION",
      status: "processed",
      mic,
    });
    expect(parsed.disposition).toBe("automatic-action/MDN-sent-automatically; processed");
    expect(parsed.messageId).toBe(mdn.messageId);
  });

  it("builds an unsigned negative MDN with the error modifier", async () => {
    const mdn = await buildMdn({ from: "P", to: "S", originalMessageId: "m2@S", error: "authentication-failed" });
    expect(mdn.headers["Content-Type"]).toMatch(/^multipart\/report; report-type=disposition-notification/);
    const parsed = await parseMdn(mdn.headers, mdn.body);
    expect(parsed).toMatchObject({ signed: false, status: "processed/error", modifier: "authentication-failed" });
    expect(parsed.mic).toBeUndefined();
  });

  it("rejects an MDN signed by another key, and an unsigned one when a signed one was asked for", async () => {
    const forged = await buildMdn({
      from: "P",
      to: "S",
      originalMessageId: "m3@S",
      signing: { algorithm: "SHA1", ...stranger },
    });
    await expect(
      parseMdn(forged.headers, forged.body, { verifyCertificates: [partner.certificatePem] }),
    ).rejects.toMatchObject({ code: "VERIFICATION_FAILED_NO_MATCHING_KEY_FOUND" });
    const unsigned = await buildMdn({ from: "P", to: "S", originalMessageId: "m3@S" });
    await expect(
      parseMdn(unsigned.headers, unsigned.body, {
        verifyCertificates: [partner.certificatePem],
        requireSignature: true,
      }),
    ).rejects.toMatchObject({ code: "VERIFICATION_FAILED" });
  });
});

describe("MIME", () => {
  it("splits multipart bodies with CRLF or bare LF delimiters", () => {
    for (const eol of ["\r\n", "\n"]) {
      const body = Buffer.from(
        `preamble${eol}--b${eol}A: 1${eol}${eol}one${eol}--b${eol}${eol}two${eol}--b--${eol}`,
        "latin1",
      );
      expect(splitMultipart(body, "b").map((p) => p.toString("latin1"))).toEqual([`A: 1${eol}${eol}one`, `${eol}two`]);
    }
  });

  it("parses folded headers and canonicalizes line ends", () => {
    const e = parseEntity(Buffer.from('Content-Type: multipart/signed;\n\tboundary="x y"\n\nbody', "latin1"));
    expect(e.headers).toEqual([["Content-Type", 'multipart/signed; boundary="x y"']]);
    expect(e.body.toString()).toBe("body");
    expect(canonicalize(Buffer.from("a\nb\r\nc")).toString()).toBe("a\r\nb\r\nc");
  });
});
