/**
 * Interoperability with an independent implementation: Debian's OpenSSL (`openssl cms`).
 * What we produce must decrypt and verify there; what it produces must be accepted here.
 * (Debian builds OpenSSL without zlib, so compressed-data interop is covered by the vendor
 * fixtures of `npm run test:interop` instead.)
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  buildMdn,
  buildMessage,
  generateKeyPair,
  serializeEntity,
  unpackMessage,
  CIPHERS,
  parseEntity,
  splitMultipart,
  contentTypeOf,
  decodeBody,
} from "../../sandbox/as2";
import type { EncryptionAlgorithm, SigningAlgorithm } from "../../sandbox/as2";

const dir = mkdtempSync(join(tmpdir(), "as2-openssl-"));
const station = generateKeyPair({ commonName: "STATION" });
const partner = generateKeyPair({ commonName: "PARTNER" });
const file = (name: string, content?: string | Buffer) => {
  const p = join(dir, name);
  if (content !== undefined) writeFileSync(p, content);
  return p;
};
file("station.crt", station.certificatePem);
file("station.key", station.privateKeyPem);
file("partner.crt", partner.certificatePem);
file("partner.key", partner.privateKeyPem);

function openssl(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync("openssl", args, { encoding: "latin1" });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Binary, with mixed line ends: must survive byte for byte. */
const payload = Buffer.from(
  "UNB+UNOA:2+ACME+GLOBEX+261122:1800+1'\r\nUNH+1+INVOIC:D:96A:UN'\nbytes:\u00ff\u0000\r\n",
  "latin1",
);
/** EDI as partners send it: text with CRLF line ends. */
const edi = Buffer.from(
  "ISA*00*          *00*          *ZZ*ACME           *ZZ*GLOBEX         *261122*1800*U*00401*000000001*0*P*>~\r\nGS*IN*ACME*GLOBEX*20261122*1800*1*X*004010~\r\n",
  "latin1",
);

describe("what we send, OpenSSL reads", () => {
  const cases: Array<[SigningAlgorithm, EncryptionAlgorithm]> = [
    ["SHA1", "AES128_CBC"],
    ["SHA256", "AES192_CBC"],
    ["SHA384", "AES256_CBC"],
    ["SHA512", "DES_EDE3_CBC"],
  ];
  it.each(cases)("signed %s and encrypted %s: openssl cms -decrypt then -verify", async (signing, encryption) => {
    const built = await buildMessage({
      from: "STATION",
      to: "PARTNER",
      payload: edi,
      fileName: "invoice.edi",
      compress: false,
      signing: { algorithm: signing, ...station },
      encryption: { algorithm: encryption, certificatePem: partner.certificatePem },
    });
    const body = file(`body-${signing}.der`, built.body);
    const printed = openssl(["cms", "-cmsout", "-print", "-inform", "DER", "-in", body]);
    expect(printed.status).toBe(0);
    expect(printed.stdout).toContain(`algorithm: ${CIPHERS[encryption].openssl}`);
    const dec = file(`dec-${signing}.eml`);
    const d = openssl([
      "cms",
      "-decrypt",
      "-inform",
      "DER",
      "-in",
      body,
      "-recip",
      file("partner.crt"),
      "-inkey",
      file("partner.key"),
      "-out",
      dec,
    ]);
    expect(d.stderr).toBe("");
    expect(d.status).toBe(0);
    expect(readFileSync(dec, "latin1")).toMatch(
      /^Content-Type: multipart\/signed; protocol="application\/pkcs7-signature"; micalg=/,
    );
    const out = file(`out-${signing}.bin`);
    // OpenSSL 3.0's S/MIME reader mangles CRLF content in -binary mode (it fails on its own
    // -crlfeol output too); text mode is right for CRLF text such as EDI.
    const v = openssl([
      "cms",
      "-verify",
      "-inform",
      "SMIME",
      "-in",
      dec,
      "-CAfile",
      file("station.crt"),
      "-purpose",
      "any",
      "-out",
      out,
    ]);
    expect(v.stderr).toContain("Verification successful");
    expect(v.status).toBe(0);
    expect(readFileSync(out, "latin1")).toContain(edi.toString("latin1"));
  });

  it("a binary payload with mixed line ends verifies byte for byte (detached signature, -binary)", async () => {
    const built = await buildMessage({
      from: "STATION",
      to: "PARTNER",
      payload,
      fileName: "blob.bin",
      compress: false,
      signing: { algorithm: "SHA256", ...station },
      encryption: { algorithm: "AES256_CBC", certificatePem: partner.certificatePem },
    });
    const dec = file("dec-bin.eml");
    expect(
      openssl([
        "cms",
        "-decrypt",
        "-inform",
        "DER",
        "-in",
        file("body-bin.der", built.body),
        "-recip",
        file("partner.crt"),
        "-inkey",
        file("partner.key"),
        "-out",
        dec,
      ]).status,
    ).toBe(0);
    const entity = parseEntity(readFileSync(dec));
    const [content, sig] = splitMultipart(entity.body, contentTypeOf(entity).params["boundary"]!) as [Buffer, Buffer];
    const v = openssl([
      "cms",
      "-verify",
      "-binary",
      "-inform",
      "DER",
      "-in",
      file("sig.der", decodeBody(parseEntity(sig))),
      "-content",
      file("content.bin", content),
      "-CAfile",
      file("station.crt"),
      "-purpose",
      "any",
      "-out",
      file("verified.bin"),
    ]);
    expect(v.stderr).toContain("Verification successful");
    expect(content.subarray(content.length - payload.length).equals(payload)).toBe(true);
  });

  it("a signed MDN verifies with openssl cms -verify", async () => {
    const mdn = await buildMdn({
      from: "PARTNER",
      to: "STATION",
      originalMessageId: "m@STATION",
      mic: { value: "x", algorithm: "SHA256" },
      signing: { algorithm: "SHA256", ...partner },
    });
    const eml = file(
      "mdn.eml",
      Buffer.concat([Buffer.from(`Content-Type: ${mdn.headers["Content-Type"]}\r\n\r\n`), mdn.body]),
    );
    const v = openssl([
      "cms",
      "-verify",
      "-inform",
      "SMIME",
      "-in",
      eml,
      "-CAfile",
      file("partner.crt"),
      "-purpose",
      "any",
      "-out",
      file("mdn.out"),
    ]);
    expect(v.stderr).toContain("Verification successful");
    expect(readFileSync(file("mdn.out"), "latin1")).toContain(
      "Disposition: automatic-action/MDN-sent-automatically; processed",
    );
  });

  it("a signature by another key fails in openssl too (the check can fail)", async () => {
    const built = await buildMessage({
      from: "S",
      to: "P",
      payload: edi,
      fileName: "a",
      compress: false,
      signing: { algorithm: "SHA256", ...station },
    });
    const eml = file(
      "plain.eml",
      Buffer.concat([Buffer.from(`Content-Type: ${built.headers["Content-Type"]}\r\n\r\n`), built.body]),
    );
    const v = openssl([
      "cms",
      "-verify",
      "-inform",
      "SMIME",
      "-in",
      eml,
      "-CAfile",
      file("partner.crt"),
      "-purpose",
      "any",
      "-out",
      file("plain.out"),
    ]);
    expect(v.stderr).toMatch(/certificate verify error|self-signed certificate/);
    expect(v.status).not.toBe(0);
  });
});

describe("what OpenSSL sends, we read", () => {
  const entity = serializeEntity({
    headers: [
      ["Content-Type", "application/edifact"],
      ["Content-Transfer-Encoding", "binary"],
      ["Content-Disposition", 'attachment; filename="order 7.edi"'],
    ],
    body: payload,
  });
  const cases: Array<[string, string, string[], SigningAlgorithm, EncryptionAlgorithm]> = [
    ["sha256 / aes256, LF MIME", "-aes256", [], "SHA256", "AES256_CBC"],
    ["sha1 / 3DES, CRLF MIME", "-des3", ["-crlfeol"], "SHA1", "DES_EDE3_CBC"],
    ["sha512 / aes128, CRLF MIME", "-aes128", ["-crlfeol"], "SHA512", "AES128_CBC"],
  ];
  it.each(cases)("openssl cms -sign then -encrypt (%s)", async (name, cipher, eol, signing, encryption) => {
    const tag = name.replace(/\W+/g, "-");
    const input = file(`entity-${tag}.txt`, entity);
    const signed = file(`signed-${tag}.eml`);
    const md = signing === "SHA1" ? "sha1" : `sha${signing.slice(3)}`;
    const s = openssl([
      "cms",
      "-sign",
      "-binary",
      ...eol,
      "-md",
      md,
      "-in",
      input,
      "-signer",
      file("station.crt"),
      "-inkey",
      file("station.key"),
      "-out",
      signed,
    ]);
    expect(s.status).toBe(0);
    const enc = file(`enc-${tag}.der`);
    const e = openssl([
      "cms",
      "-encrypt",
      "-binary",
      cipher,
      "-in",
      signed,
      "-outform",
      "DER",
      "-out",
      enc,
      file("partner.crt"),
    ]);
    expect(e.status).toBe(0);
    const received = await unpackMessage(
      {
        "as2-from": "STATION",
        "as2-to": "PARTNER",
        "message-id": "<openssl-1@STATION>",
        "content-type": "application/pkcs7-mime; smime-type=enveloped-data; name=smime.p7m",
        "disposition-notification-to": "x",
      },
      readFileSync(enc),
      { decryptKeys: [partner], verifyCertificates: [station.certificatePem], requireSignature: true },
    );
    expect(received.payload.equals(payload)).toBe(true);
    expect(received.fileName).toBe("order 7.edi");
    expect(received).toMatchObject({
      encrypted: true,
      encryptionAlgorithm: encryption,
      signed: true,
      signingAlgorithm: signing,
      messageId: "openssl-1@STATION",
    });
  });

  it.each([
    ["default (SHA-1)", []],
    ["SHA-256", ["-keyopt", "rsa_oaep_md:sha256"]],
  ])("RSAES-OAEP key transport, %s (openssl cms -encrypt -keyopt rsa_padding_mode:oaep)", async (name, extra) => {
    const tag = `oaep-${name.replace(/\W+/g, "-")}`;
    const input = file(`entity-${tag}.txt`, entity);
    const enc = file(`enc-${tag}.der`);
    const e = openssl([
      "cms",
      "-encrypt",
      "-binary",
      "-aes256",
      "-in",
      input,
      "-outform",
      "DER",
      "-out",
      enc,
      "-recip",
      file("partner.crt"),
      "-keyopt",
      "rsa_padding_mode:oaep",
      ...extra,
    ]);
    expect(e.stderr).toBe("");
    expect(e.status).toBe(0);
    // The recipient really uses OAEP (the check can fail): openssl prints the key transport algorithm.
    expect(openssl(["cms", "-cmsout", "-print", "-inform", "DER", "-in", enc]).stdout).toMatch(/rsaesOaep/);
    const received = await unpackMessage(
      {
        "as2-from": "STATION",
        "as2-to": "PARTNER",
        "message-id": `<${tag}@STATION>`,
        "content-type": "application/pkcs7-mime; smime-type=enveloped-data; name=smime.p7m",
      },
      readFileSync(enc),
      { decryptKeys: [partner], verifyCertificates: [], requireSignature: false },
    );
    expect(received.payload.equals(payload)).toBe(true);
    expect(received).toMatchObject({ encrypted: true, encryptionAlgorithm: "AES256_CBC", fileName: "order 7.edi" });
  });

  it("openssl cms -sign alone (multipart/signed over HTTP)", async () => {
    const input = file("entity-plain.txt", entity);
    const signed = file("signed-plain.eml");
    expect(
      openssl([
        "cms",
        "-sign",
        "-binary",
        "-crlfeol",
        "-md",
        "sha256",
        "-in",
        input,
        "-signer",
        file("station.crt"),
        "-inkey",
        file("station.key"),
        "-out",
        signed,
      ]).status,
    ).toBe(0);
    const raw = readFileSync(signed);
    const sep = raw.indexOf("\r\n\r\n");
    const ct = /Content-Type: (multipart\/signed;[^\r]*)/.exec(raw.subarray(0, sep).toString("latin1"))![1]!;
    const received = await unpackMessage(
      { "as2-from": "STATION", "as2-to": "PARTNER", "message-id": "<x@y>", "content-type": ct },
      raw.subarray(sep + 4),
      {
        decryptKeys: [],
        verifyCertificates: [station.certificatePem],
      },
    );
    expect(received.payload.equals(payload)).toBe(true);
    expect(received.signed).toBe(true);
  });
});
