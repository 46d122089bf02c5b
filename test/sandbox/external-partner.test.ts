/**
 * Issue #19: the example customer in the sandbox with GLOBEX played by external AS2 software, here a
 * small HTTP server that does all its S/MIME with the `openssl cms` command line (certificates from
 * `openssl req`, declared for GLOBEX in a copy of the example customer). Both directions with signed
 * MDNs, RSAES-OAEP key transport on the way in, ACME-EU's declared certificate with --station-key,
 * and the banner's AWS CLI line run as printed.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Sandbox } from "../../sandbox/runner/sandbox";
import { synthesize } from "../../sandbox/runner/synthesize";
import { runScenario } from "../../sandbox/runner/scenario";
import type { Scenario } from "../../sandbox/runner/scenario";
import { keyMatchesCertificate } from "../../sandbox/runner/transfer-wiring";
import { EXAMPLE_DIR } from "../helpers/customer-factory";

const dir = mkdtempSync(join(tmpdir(), "openssl-partner-"));
const path = (name: string) => join(dir, name);
const lines: string[] = [];
let sb: Sandbox;
let server: Server;
let partnerUrl: string;
/** What the openssl partner received: file name and payload. */
const received: Array<{ fileName: string; payload: Buffer }> = [];

/** Runs a command without blocking: the sandbox's servers live in this process. */
function run(cmd: string, args: string[], env?: NodeJS.ProcessEnv): Promise<{ stdout: Buffer; stderr: string }> {
  return new Promise((resolve, reject) =>
    execFile(cmd, args, { encoding: "buffer", env: env ?? process.env, timeout: 60_000 }, (err, stdout, stderr) =>
      err
        ? reject(new Error(`${cmd} ${args.join(" ")}: ${stderr.toString()}`))
        : resolve({ stdout, stderr: stderr.toString() }),
    ),
  );
}
const openssl = (args: string[]) => run("openssl", args);

/** Headers and body of a MIME entity (CRLF or LF). */
function splitEntity(raw: Buffer): { headers: string; body: Buffer } {
  const crlf = raw.indexOf("\r\n\r\n");
  const lf = raw.indexOf("\n\n");
  const at = crlf >= 0 && (lf < 0 || crlf < lf) ? crlf : lf;
  return { headers: raw.subarray(0, at).toString("latin1"), body: raw.subarray(at + (at === crlf ? 4 : 2)) };
}
const header = (headers: string, name: string) =>
  new RegExp(`^${name}:\\s*((?:.*)(?:\\r?\\n[ \\t].*)*)`, "im")
    .exec(headers)?.[1]
    ?.replace(/\r?\n[ \t]+/g, " ")
    .trim();

/** The first part of a multipart/signed entity, byte for byte (what the MIC covers). */
function signedPart(entity: Buffer): Buffer {
  const { headers, body } = splitEntity(entity);
  const boundary = /boundary="?([^";\r\n]+)"?/i.exec(header(headers, "Content-Type") ?? "")![1]!;
  const start = body.indexOf(`--${boundary}\r\n`) + boundary.length + 4;
  const end = body.indexOf(`\r\n--${boundary}`, start);
  return body.subarray(start, end);
}

/** The openssl partner's AS2 endpoint: decrypt, verify, answer a signed MDN built with openssl cms -sign. */
async function onMessage(headers: Record<string, string | string[] | undefined>, body: Buffer, n: number) {
  writeFileSync(path(`in-${n}.der`), body);
  await openssl([
    "cms",
    "-decrypt",
    "-inform",
    "DER",
    "-in",
    path(`in-${n}.der`),
    "-recip",
    path("partner.crt"),
    "-inkey",
    path("partner.key"),
    "-out",
    path(`in-${n}.mime`),
  ]);
  const signed = readFileSync(path(`in-${n}.mime`));
  await openssl([
    "cms",
    "-verify",
    // Text mode: OpenSSL 3.0's S/MIME reader mangles CRLF content with -binary (see as2-openssl.test.ts).
    "-in",
    path(`in-${n}.mime`),
    "-purpose",
    "any",
    "-CAfile",
    path("station.signing.pem"),
    "-out",
    path(`in-${n}.content`),
  ]);
  const content = splitEntity(readFileSync(path(`in-${n}.content`)));
  const fileName =
    /filename="?([^";\r\n]+)"?/.exec(header(content.headers, "Content-Disposition") ?? "")?.[1] ?? "unnamed";
  received.push({ fileName, payload: content.body });
  const mic = createHash("sha256").update(signedPart(signed)).digest("base64");
  const messageId = String(headers["message-id"]);
  const report = [
    'Content-Type: multipart/report; report-type=disposition-notification; boundary="openssl-report"',
    "",
    "--openssl-report",
    "Content-Type: text/plain",
    "",
    "Received by the openssl partner.",
    "--openssl-report",
    "Content-Type: message/disposition-notification",
    "",
    "Reporting-UA: openssl-partner",
    "Original-Recipient: rfc822; GLOBEX",
    "Final-Recipient: rfc822; GLOBEX",
    `Original-Message-ID: ${messageId}`,
    "Disposition: automatic-action/MDN-sent-automatically; processed",
    `Received-Content-MIC: ${mic}, sha-256`,
    "",
    "--openssl-report--",
    "",
  ].join("\r\n");
  writeFileSync(path(`mdn-${n}.mime`), report);
  await openssl([
    "cms",
    "-sign",
    "-binary",
    "-crlfeol",
    "-md",
    "sha256",
    "-in",
    path(`mdn-${n}.mime`),
    "-signer",
    path("partner.crt"),
    "-inkey",
    path("partner.key"),
    "-out",
    path(`mdn-${n}.eml`),
  ]);
  const mdn = splitEntity(readFileSync(path(`mdn-${n}.eml`)));
  return {
    headers: {
      "Content-Type": header(mdn.headers, "Content-Type")!,
      "MIME-Version": "1.0",
      "AS2-Version": "1.2",
      "AS2-From": String(headers["as2-to"]),
      "AS2-To": String(headers["as2-from"]),
      "Message-ID": `<mdn-${n}@openssl-partner>`,
    },
    body: mdn.body,
  };
}

beforeAll(async () => {
  for (const who of ["partner", "acme-eu"])
    await openssl([
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-keyout",
      path(`${who}.key`),
      "-out",
      path(`${who}.crt`),
      "-subj",
      `/CN=${who} (openssl)`,
      "-days",
      "30",
    ]);
  let n = 0;
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      onMessage(req.headers, Buffer.concat(chunks), ++n).then(
        (mdn) => res.writeHead(200, mdn.headers).end(mdn.body),
        (e: Error) => {
          lines.push(`openssl partner refused message ${n}: ${e.message}`);
          res.writeHead(500).end(e.message);
        },
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  partnerUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/as2`;

  const example = JSON.parse(readFileSync(join(EXAMPLE_DIR, "example.json"), "utf8")) as {
    stations: Array<Record<string, unknown>>;
    partners: Array<Record<string, unknown>>;
  };
  const stations = example.stations.map((s) =>
    s["as2Id"] === "ACME-EU"
      ? {
          ...s,
          signing: { ...(s["signing"] as object), certificate: { pem: readFileSync(path("acme-eu.crt"), "utf8") } },
        }
      : s,
  );
  const partners = example.partners.map((p) =>
    p["as2Id"] === "GLOBEX"
      ? {
          ...p,
          certificates: { signing: { pem: readFileSync(path("partner.crt"), "utf8") } },
          // Debian's OpenSSL has no zlib: the partner cannot read compressed-data.
          outbound: { ...(p["outbound"] as object), compression: "DISABLED" },
        }
      : p,
  );
  const workDir = mkdtempSync(join(tmpdir(), "sandbox-external-"));
  const synth = synthesize({
    customer: "example",
    workDir,
    overrides: { settle: { fileSeconds: 1, directorySeconds: 2 }, stations, partners },
  });
  sb = new Sandbox({
    stackDir: synth.stackDir,
    workDir,
    log: (l) => void lines.push(l),
    externalPartners: { GLOBEX: partnerUrl },
    stationKeys: { "ACME-EU": [readFileSync(path("acme-eu.key"), "utf8")] },
  });
  await sb.start();
  writeFileSync(path("station.signing.pem"), readFileSync(join(sb.certificatesDir, "ACME-AS2.signing.pem")));
  writeFileSync(path("station.encryption.pem"), readFileSync(join(sb.certificatesDir, "ACME-AS2.encryption.pem")));
}, 120_000);

afterAll(async () => {
  await sb?.stop();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
});

async function expectSteps(steps: Scenario["steps"]): Promise<void> {
  const r = await runScenario(sb, { customer: "example", timeoutSeconds: 40, steps }, (l) => void lines.push(l));
  if (!r.ok) throw new Error(`${r.failures.join("\n")}\n--- sandbox log ---\n${lines.join("\n")}`);
}

describe("an external partner (openssl cms) with the example customer", () => {
  it("prints the URL to configure, the AS2 IDs and the exported station certificates", () => {
    const banner = sb.banner().join("\n");
    expect(banner).toContain(
      `external partner GLOBEX: the gateway sends to ${partnerUrl}; configure GLOBEX's software to send to ${sb.as2Url} with AS2-From GLOBEX and AS2-To ACME-AS2`,
    );
    expect(banner).toContain(join(sb.certificatesDir, "ACME-AS2.signing.pem"));
    expect(sb.partners.has("GLOBEX")).toBe(false); // no stand-in
    // --station-key: ACME-EU runs with the declared certificate and the given key, exported as is.
    const exported = readFileSync(join(sb.certificatesDir, "ACME-EU.signing.pem"), "utf8");
    expect(exported).toBe(readFileSync(path("acme-eu.crt"), "utf8"));
    expect(keyMatchesCertificate(readFileSync(path("acme-eu.key"), "utf8"), exported)).toBe(true);
    expect(keyMatchesCertificate(readFileSync(path("partner.key"), "utf8"), exported)).toBe(false);
  });

  it("accepts a message signed and OAEP-encrypted by openssl, answers a signed MDN openssl verifies, files it in inbox/", async () => {
    const payload = "ISA*00*OPENSSL~\r\nGS*PO*GLOBEX*ACME~\r\n";
    writeFileSync(
      path("po.entity"),
      `Content-Type: application/edi-x12\r\nContent-Disposition: attachment; filename="po 42.edi"\r\n\r\n${payload}`,
    );
    await openssl([
      "cms",
      "-sign",
      "-binary",
      "-crlfeol",
      "-md",
      "sha256",
      "-in",
      path("po.entity"),
      "-signer",
      path("partner.crt"),
      "-inkey",
      path("partner.key"),
      "-out",
      path("po.signed"),
    ]);
    await openssl([
      "cms",
      "-encrypt",
      "-binary",
      "-aes256",
      "-in",
      path("po.signed"),
      "-outform",
      "DER",
      "-out",
      path("po.der"),
      "-recip",
      path("station.encryption.pem"),
      "-keyopt",
      "rsa_padding_mode:oaep",
    ]);
    const response = await fetch(sb.as2Url, {
      method: "POST",
      headers: {
        "AS2-Version": "1.2",
        "AS2-From": "GLOBEX",
        "AS2-To": "ACME-AS2",
        "Message-ID": "<openssl-po-42@GLOBEX>",
        Subject: "PO 42",
        "Content-Type": 'application/pkcs7-mime; smime-type=enveloped-data; name="smime.p7m"',
        "Content-Transfer-Encoding": "binary",
        "Disposition-Notification-To": "as2@globex.example",
        "Disposition-Notification-Options":
          "signed-receipt-protocol=optional, pkcs7-signature; signed-receipt-micalg=optional, sha-256",
      },
      body: readFileSync(path("po.der")),
    });
    expect(response.status).toBe(200);
    const mdn = Buffer.concat([
      Buffer.from(`Content-Type: ${response.headers.get("content-type")}\r\n\r\n`),
      Buffer.from(await response.arrayBuffer()),
    ]);
    writeFileSync(path("po-mdn.eml"), mdn);
    await openssl([
      "cms",
      "-verify",
      "-in",
      path("po-mdn.eml"),
      "-purpose",
      "any",
      "-CAfile",
      path("station.signing.pem"),
      "-out",
      path("po-mdn.report"),
    ]);
    expect(readFileSync(path("po-mdn.report"), "latin1")).toMatch(
      /Disposition: automatic-action\/MDN-sent-automatically; processed\r?\n/,
    );
    await expectSteps([
      { expect: { folder: "inbox", station: "ACME-AS2", partner: "GLOBEX", file: "po 42.edi" } },
      { expect: { domainEvent: "MESSAGE.RECEIVED.SUCCESS" } },
    ]);
  }, 150_000);

  it("sends an upload made with the banner's AWS CLI line to the openssl partner and files its signed MDN in outbox/", async () => {
    writeFileSync(path("invoice.edi"), "UNB+UNOA:2+ACME-AS2+GLOBEX'\r\n");
    const line = sb
      .banner()
      .find((l) => l.trim().startsWith("aws "))!
      .trim()
      .replace("<station>", "ACME-AS2")
      .replace("<partner>", "GLOBEX");
    // Real-looking AWS credentials in the environment, as a user would have them.
    const env = {
      ...process.env,
      AWS_ACCESS_KEY_ID: "AKIAIOSFODNN7EXAMPLE",
      AWS_SECRET_ACCESS_KEY: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
      AWS_DEFAULT_REGION: "eu-west-1",
    };
    await run("sh", ["-c", `cd '${dir}' && ${line}`], env);
    await expectSteps([
      { expect: { folder: "outbox", station: "ACME-AS2", partner: "GLOBEX", file: "invoice.edi" } },
      { expect: { domainEvent: "MESSAGE.SEND.SUCCESS" } },
    ]);
    expect(received.map((r) => r.fileName)).toContain("invoice.edi");
    expect(received.find((r) => r.fileName === "invoice.edi")!.payload.toString("latin1")).toBe(
      "UNB+UNOA:2+ACME-AS2+GLOBEX'\r\n",
    );
    expect(lines.some((l) => /MDN +invoice\.edi: automatic-action\/MDN-sent-automatically; processed/.test(l))).toBe(
      true,
    );
    const bucket = sb.buckets[0]!;
    const ls = await run(
      "aws",
      ["--endpoint-url", sb.s3Endpoint, "s3", "ls", "--recursive", `s3://${bucket}/AS2/files/ACME-AS2/GLOBEX/outbox/`],
      env,
    );
    expect(ls.stdout.toString()).toMatch(/outbox\/[^/]+\/invoice\.edi\n/);
    expect(ls.stdout.toString()).toMatch(/invoice\.edi\.mdn\n/);
  }, 150_000);
});
