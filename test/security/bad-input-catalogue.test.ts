/**
 * The bad-input catalogue: hostile values of every kind the gateway reads, each with its exact
 * outcome, and never a stack trace. Customer-file values go through the loader (model/load.ts);
 * certificate files through the certificate reader (model/certificate-file.ts) and, where the
 * file name matters, the whole loader on a folder; S3 keys and event fields through the parsing
 * functions of model/layout.ts and the handlers (handler behaviour itself is tested with them).
 *
 * AS2 ID rows assert the field path only: the AS2 ID pattern is being aligned with Transfer's API
 * in model/customer.ts by another change, so the wording may move; the refusal may not.
 */
import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { CustomerFileError, formatProblem, listCustomerFiles, loadCustomers, validateCustomer } from "../../model/load";
import { inspectCertificates, type CertificatePurpose } from "../../model/certificate-file";
import {
  inboundWorkPrefix,
  keyFromTransferAttribute,
  parseOutboundWorkKey,
  parseSendKey,
  segmentProblem,
} from "../../model/layout";
import { decodeEventKey } from "../../handlers/shared/s3-object";
import { parseTransferEvent } from "../../handlers/shared/transfer-events";
import { parseQueueBody } from "../../handlers/send/messages";
import { customerInput, SAMPLE_CERT_PEM } from "../helpers/customer-factory";
import { keyIn, makeCertificate } from "./make-certs";

const FILE = "customers/acme.json";
const NOW = new Date();
type Raw = Record<string, any>;

/** The loader's answer: "accepted", or its report lines; anything else is a crash. */
function loaded(raw: unknown, file = FILE): string {
  try {
    validateCustomer(raw, file, NOW);
    return "accepted";
  } catch (e) {
    if (e instanceof CustomerFileError) return e.problems.map(formatProblem).join("\n");
    return `CRASH ${(e as Error).stack}`;
  }
}

/** A valid customer with one change. */
function customer(change: (c: Raw) => void): string {
  const c = structuredClone(customerInput()) as Raw;
  change(c);
  return loaded(c);
}

function certificate(bytes: Buffer | string, purpose: CertificatePurpose = "signing", name = ""): string {
  try {
    const r = inspectCertificates(Buffer.from(bytes), purpose, NOW, name);
    return r.findings.length ? r.findings.map((f) => `${f.message} (found ${f.found})`).join("\n") : "accepted";
  } catch (e) {
    return `CRASH ${(e as Error).stack}`;
  }
}

/** A whole customers folder with one customer whose station certificate is the given file. */
async function folder(files: Record<string, string | Buffer>, certFile = "certs/station.pem"): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "catalogue-"));
  mkdirSync(join(dir, "certs"));
  for (const [name, body] of Object.entries(files)) writeFileSync(join(dir, name), body);
  if (!files["acme.json"])
    writeFileSync(
      join(dir, "acme.json"),
      JSON.stringify(
        customerInput({
          stations: [
            {
              as2Id: "ACME",
              signing: { certificate: { file: certFile }, privateKey: { terraformVariable: "acme_signing_key" } },
            },
          ],
        }),
      ),
    );
  try {
    await loadCustomers(dir, dir);
    return "accepted";
  } catch (e) {
    if (e instanceof CustomerFileError) return e.problems.map(formatProblem).join("\n");
    return `CRASH ${(e as Error).stack}`;
  }
}

function sendKey(key: string): string {
  const r = parseSendKey(key);
  return r.ok ? `route ${JSON.stringify(r.value)}` : `refused: ${r.reason}`;
}

function queueBody(body: string): string {
  try {
    return `message ${JSON.stringify(parseQueueBody(body))}`;
  } catch (e) {
    return `${(e as Error).name}: ${(e as Error).message}`;
  }
}

function transferEvent(event: unknown): string {
  try {
    const e = parseTransferEvent(event);
    return `event ${JSON.stringify({ detailType: e.detailType, file: e.file, agreementId: e.agreementId })}`;
  } catch (e) {
    return `${(e as Error).name}: ${(e as Error).message}`;
  }
}

const goodCert = makeCertificate({ keyUsage: { digitalSignature: true, keyEncipherment: true } });
const caOnly = makeCertificate({ keyUsage: { keyCertSign: true, cRLSign: true } });
const signOnly = makeCertificate({ keyUsage: { digitalSignature: true, nonRepudiation: true } });
const encryptOnly = makeCertificate({ keyUsage: { keyEncipherment: true } });
const day = 86_400_000;
const expired = makeCertificate({
  notBefore: new Date(Date.now() - 400 * day),
  notAfter: new Date(Date.now() - 2 * day),
});
const notYet = makeCertificate({
  notBefore: new Date(Date.now() + 10 * day),
  notAfter: new Date(Date.now() + 400 * day),
});
const weak = makeCertificate({ bits: 1024 });
const ec = makeCertificate({ keyType: "ec" });
const dayOf = (t: number) => new Date(t).toISOString().slice(0, 10);
const keyFix = (file = "<file>") =>
  `expected a public certificate only, but the file holds private key material: keep only the -----BEGIN CERTIFICATE----- block (e.g. \`openssl x509 -in ${file} -out ${file}.crt\`) and give the key as { secretsManagerArn } or { terraformVariable }`;
const KEY_FIX = keyFix();
const AS2_ID = /^customers\/acme\.json: partners\[0\]\.as2Id: [^\n]+$/;
const deep = (n: number) => {
  let v: unknown = "x";
  for (let i = 0; i < n; i++) v = [v];
  return v;
};

type Row = [name: string, outcome: () => string | Promise<string>, expected: string | RegExp];

const ROWS: Row[] = [
  // ---------------------------------------------------------------- customer-file values
  ["AS2 ID with a space", () => customer((c) => (c.partners[0].as2Id = "AC ME")), AS2_ID],
  ["AS2 ID of 129 characters", () => customer((c) => (c.partners[0].as2Id = "A".repeat(129))), AS2_ID],
  ["AS2 ID with a BEL control character", () => customer((c) => (c.partners[0].as2Id = "AC\u0007ME")), AS2_ID],
  ["AS2 ID with a newline", () => customer((c) => (c.partners[0].as2Id = "ACME\nBcc")), AS2_ID],
  ["AS2 ID empty", () => customer((c) => (c.partners[0].as2Id = "")), AS2_ID],
  ["AS2 ID '..'", () => customer((c) => (c.partners[0].as2Id = "..")), AS2_ID],
  ["AS2 ID with '/'", () => customer((c) => (c.partners[0].as2Id = "AC/../ME")), AS2_ID],
  ["AS2 ID with a Terraform expression", () => customer((c) => (c.partners[0].as2Id = "${var.x}")), AS2_ID],
  ["AS2 ID with a NUL", () => customer((c) => (c.partners[0].as2Id = "ACME\u0000")), AS2_ID],
  [
    "partner URL with user and password",
    () => customer((c) => (c.partners[0].url = "https://bob:s3cret@partner.example/as2")),
    `${FILE}: partners[0].url: expected a URL without user name or password (use a basic-auth secret) (found https://<user>:<password>@partner.example)`,
  ],
  [
    "partner URL file:",
    () => customer((c) => (c.partners[0].url = "file:///etc/passwd")),
    `${FILE}: partners[0].url: an absolute http:// or https:// URL (found "file:///etc/passwd")`,
  ],
  [
    "partner URL javascript:",
    () => customer((c) => (c.partners[0].url = "javascript:alert(1)")),
    `${FILE}: partners[0].url: an absolute http:// or https:// URL (found "javascript:alert(1)")`,
  ],
  [
    "partner URL with port 70000",
    () => customer((c) => (c.partners[0].url = "http://partner.example:70000/as2")),
    `${FILE}: partners[0].url: an absolute http:// or https:// URL (found "http://partner.example:70000/as2")`,
  ],
  [
    "partner URL with port 0",
    () => customer((c) => (c.partners[0].url = "http://partner.example:0/as2")),
    `${FILE}: partners[0].url: expected a port between 1 and 65535 (found port 0)`,
  ],
  [
    "partner URL at the instance metadata address",
    () => customer((c) => (c.partners[0].url = "http://169.254.169.254/latest/meta-data")),
    `${FILE}: partners[0].url: expected a public host name or address (found 169.254.169.254: link-local (instance metadata))`,
  ],
  [
    "partner URL on loopback",
    () => customer((c) => (c.partners[0].url = "http://127.0.0.1:5080/as2")),
    `${FILE}: partners[0].url: expected a public host name or address (found 127.0.0.1: loopback)`,
  ],
  [
    "partner URL on a private address",
    () => customer((c) => (c.partners[0].url = "https://10.1.2.3/as2")),
    `${FILE}: partners[0].url: expected a public host name or address (found 10.1.2.3: private)`,
  ],
  [
    "partner URL on IPv6 loopback",
    () => customer((c) => (c.partners[0].url = "http://[::1]/as2")),
    `${FILE}: partners[0].url: expected a public host name or address (found [::1]: loopback)`,
  ],
  [
    "partner URL on an IPv4-mapped IPv6 loopback",
    () => customer((c) => (c.partners[0].url = "http://[::ffff:127.0.0.1]/as2")),
    `${FILE}: partners[0].url: expected a public host name or address (found [::ffff:7f00:1]: loopback)`,
  ],
  [
    "partner URL on a decimal-encoded loopback (normalized by URL)",
    () => customer((c) => (c.partners[0].url = "http://2130706433/as2")),
    `${FILE}: partners[0].url: expected a public host name or address (found 127.0.0.1: loopback)`,
  ],
  [
    "partner URL on a public IP literal (many partners publish one)",
    () => customer((c) => (c.partners[0].url = "http://203.0.113.10:4080/as2")),
    "accepted",
  ],
  [
    "webhook over http",
    () =>
      customer(
        (c) =>
          (c.webhooks = [
            {
              name: "ops",
              url: "http://hooks.example/x",
              auth: { type: "basic", secretArn: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:w" },
            },
          ]),
      ),
    `${FILE}: webhooks[0].url: webhooks must use https:// (found "http://hooks.example/x")`,
  ],
  [
    "webhook URL with credentials",
    () =>
      customer(
        (c) =>
          (c.webhooks = [
            {
              name: "ops",
              url: "https://u:p@hooks.example/x",
              auth: { type: "basic", secretArn: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:w" },
            },
          ]),
      ),
    `${FILE}: webhooks[0].url: expected a URL without user name or password (use a basic-auth secret) (found https://<user>:<password>@hooks.example)`,
  ],
  [
    "webhook API key header with CRLF",
    () =>
      customer(
        (c) =>
          (c.webhooks = [
            {
              name: "ops",
              url: "https://hooks.example/x",
              auth: {
                type: "apiKey",
                header: "X-Key\r\nX-Injected: 1",
                secretArn: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:w",
              },
            },
          ]),
      ),
    `${FILE}: webhooks[0].auth.header: expected an HTTP header name (letters, digits and !#$%&'*+.^_\`|~-) (found "X-Key\\r\\nX-Injected: 1")`,
  ],
  [
    "OAuth token URL on the metadata address",
    () =>
      customer(
        (c) =>
          (c.webhooks = [
            {
              name: "ops",
              url: "https://hooks.example/x",
              auth: {
                type: "oauth",
                tokenUrl: "http://169.254.169.254/token",
                clientId: "id",
                secretArn: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:w",
              },
            },
          ]),
      ),
    `${FILE}: webhooks[0].auth.tokenUrl: expected a public host name or address (found 169.254.169.254: link-local (instance metadata))`,
  ],
  [
    "subject with CRLF (header injection)",
    () => customer((c) => (c.partners[0].outbound = { subject: "Invoice\r\nBcc: evil@example.com" })),
    `${FILE}: partners[0].outbound.subject: expected a subject without control characters (CR or LF would end the AS2 Subject header) (found "Invoice\\r\\nBcc: evil@example.com")`,
  ],
  [
    "0.0.0.0/0 in allowedCidrs without the opt-in",
    () => customer((c) => (c.network.allowedCidrs = ["0.0.0.0/0"])),
    `${FILE}: network.allowedCidrs[0]: expected specific sources; 0.0.0.0/0 opens port 5080 to everyone (set network.allowFromAnywhere to mean it) (found "0.0.0.0/0")`,
  ],
  [
    "0.0.0.0/0 as a partner's source without the opt-in",
    () => customer((c) => (c.partners[0].sourceCidrs = ["0.0.0.0/0"])),
    `${FILE}: partners[0].sourceCidrs[0]: expected a partner's own addresses; 0.0.0.0/0 opens port 5080 to everyone (set network.allowFromAnywhere to mean it) (found "0.0.0.0/0")`,
  ],
  [
    "0.0.0.0/0 as a partner's source with allowFromAnywhere",
    () =>
      customer((c) => {
        c.network.allowFromAnywhere = true;
        c.partners[0].sourceCidrs = ["0.0.0.0/0"];
      }),
    "accepted",
  ],
  [
    "CIDR with an octet over 255",
    () => customer((c) => (c.network.allowedCidrs = ["300.1.1.1/24"])),
    `${FILE}: network.allowedCidrs[0]: octets 0-255 (found "300.1.1.1/24")`,
  ],
  [
    "CIDR /33",
    () => customer((c) => (c.network.allowedCidrs = ["10.0.0.0/33"])),
    `${FILE}: network.allowedCidrs[0]: an IPv4 CIDR such as 203.0.113.0/24 (found "10.0.0.0/33")`,
  ],
  [
    "the same AS2 ID twice",
    () => customer((c) => c.partners.push({ ...structuredClone(c.partners[0]), url: "https://other.example/as2" })),
    `${FILE}: partners[1].as2Id: AS2 ID 'PARTNER' is already used by partners.0; AS2 IDs must be unique per customer (found "PARTNER")`,
  ],
  [
    "AS2 IDs colliding after normalization ('P@1', 'P#1') keep distinct working paths",
    () => {
      const r = customer((c) => {
        c.partners = ["P@1", "P#1"].map((as2Id) => ({ ...structuredClone(c.partners[0]), as2Id }));
      });
      const a = inboundWorkPrefix({ station: "ACME", partner: "P@1" });
      const b = inboundWorkPrefix({ station: "ACME", partner: "P#1" });
      return `${r}; working paths ${a === b ? "collide" : "distinct"}`;
    },
    "accepted; working paths distinct",
  ],
  [
    "customer name with a path",
    () => customer((c) => (c.name = "../etc")),
    `${FILE}: name: 2-32 lower-case letters, digits or '-', starting with a letter (found "../etc")`,
  ],
  [
    "customer name that is not the file's",
    () => customer((c) => (c.name = "globex")),
    `${FILE}: name: the name must match the file name 'acme' (found "globex")`,
  ],
  [
    "region with a shell command",
    () => customer((c) => (c.region = "eu-west-1; rm -rf /")),
    `${FILE}: region: an AWS region such as eu-west-1 (found "eu-west-1; rm -rf /")`,
  ],
  [
    "unknown top-level field",
    () => customer((c) => (c.adminPassword = "hunter2")),
    `${FILE}: (file): Unrecognized key: "adminPassword" (found {"name":"acme","region":"eu-west-1","network":{"vpcId":"vpc-0123abcd","subnet...)`,
  ],
  [
    "unknown field inside a partner",
    () => customer((c) => (c.partners[0].privateKeyPem = "x")),
    /^customers\/acme\.json: partners\[0\]: Unrecognized key: "privateKeyPem" \(found \{.*\)$/,
  ],
  [
    "__proto__ key from JSON",
    () => loaded(JSON.parse(`{"__proto__": {"admin": true}, ${JSON.stringify(customerInput()).slice(1)}`)),
    /^customers\/acme\.json: \(file\): Unrecognized key: "__proto__" \(found \{.*\)$/,
  ],
  [
    "inline private key anywhere in the file",
    () => customer((c) => (c.tags = { note: goodCert.keyPem })),
    `${FILE}: tags.note: private key material must never be inline: use { secretsManagerArn }, { terraformVariable } or { generate: true }`,
  ],
  [
    "retention that CloudWatch does not offer",
    () => customer((c) => (c.logRetentionDays = 0)),
    `${FILE}: logRetentionDays: a CloudWatch Logs retention value (1, 3, 5, 7, 14, 30, 60, 90, ...) (found 0)`,
  ],
  [
    "negative settle time",
    () => customer((c) => (c.settle = { fileSeconds: -1 })),
    `${FILE}: settle.fileSeconds: Too small: expected number to be >=0 (found -1)`,
  ],
  [
    "a string where the stations array belongs",
    () => customer((c) => (c.stations = "ACME")),
    `${FILE}: stations: Invalid input: expected array, received string (found "ACME")`,
  ],
  [
    "JSON bomb: 100 000 nested arrays",
    () => customer((c) => (c.tags = deep(100_000))),
    `${FILE}: (file): expected a customer declaration nested at most 32 levels deep (found more than 32 levels)`,
  ],
  [
    "a 200 000-element array where an object is expected",
    () => customer((c) => (c.notifications = new Array(200_000).fill(0))),
    `${FILE}: notifications: Invalid input: expected object, received array (found [0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,...)`,
  ],
  [
    "a 9 MiB customer file",
    () => folder({ "acme.json": `{"name":"acme","pad":"${"x".repeat(9 * 1024 * 1024)}"}` }),
    `acme.json: (file): expected a customer file of at most 8388608 bytes (found 9437208 bytes)`,
  ],
  [
    "invalid JSON (trailing comma)",
    () => folder({ "acme.json": '{"name": "acme",}' }),
    /^acme\.json: \(file\): not valid JSON: .+$/,
  ],
  [
    "a byte order mark before the JSON",
    () => folder({ "acme.json": `\uFEFF${JSON.stringify(customerInput())}` }),
    "accepted",
  ],
  [
    "a YAML customer file is not read (only .json and .ts are customers)",
    () => {
      const dir = mkdtempSync(join(tmpdir(), "catalogue-"));
      writeFileSync(join(dir, "acme.yaml"), "a: &a [*a]\n");
      return JSON.stringify(listCustomerFiles(dir));
    },
    "[]",
  ],
  [
    "two files declaring the same customer name",
    async () => {
      const dir = mkdtempSync(join(tmpdir(), "catalogue-"));
      writeFileSync(join(dir, "acme.json"), JSON.stringify(customerInput()));
      writeFileSync(join(dir, "acme.ts"), `export default ${JSON.stringify(customerInput())};\n`);
      try {
        await loadCustomers(dir, dir);
        return "accepted";
      } catch (e) {
        return e instanceof CustomerFileError
          ? e.problems.map(formatProblem).join("\n")
          : `CRASH ${(e as Error).stack}`;
      }
    },
    "acme.ts: name: customer name 'acme' is already used by acme.json",
  ],

  // ---------------------------------------------------------------- certificate files
  [
    "station certificate file that is a cert + key bundle (the usual .pem export)",
    () => folder({ "certs/station.pem": goodCert.certPem + goodCert.keyPem }),
    `acme.json: stations[0].signing.certificate.file: ${keyFix("certs/station.pem")} (found "certs/station.pem": BEGIN PRIVATE KEY)`,
  ],
  [
    "station certificate file that is a PKCS#12 .pfx",
    () => folder({ "certs/station.pfx": keyIn("pkcs12", goodCert) }, "certs/station.pfx"),
    `acme.json: stations[0].signing.certificate.file: ${keyFix("certs/station.pfx")} (found "certs/station.pfx": PKCS#12 (.p12/.pfx) key store)`,
  ],
  [
    "key bundle with a PKCS#1 RSA key",
    () => certificate(goodCert.certPem + keyIn("pkcs1", goodCert).toString()),
    `${KEY_FIX} (found BEGIN RSA PRIVATE KEY)`,
  ],
  ["a SEC1 EC key", () => certificate(keyIn("sec1")), `${KEY_FIX} (found BEGIN EC PRIVATE KEY)`],
  [
    "an encrypted PKCS#8 key",
    () => certificate(keyIn("encrypted-pkcs8", goodCert)),
    `${KEY_FIX} (found BEGIN ENCRYPTED PRIVATE KEY)`,
  ],
  ["an OpenSSH private key", () => certificate(keyIn("openssh")), `${KEY_FIX} (found BEGIN OPENSSH PRIVATE KEY)`],
  [
    "a PKCS#12 store named .pem",
    () => certificate(keyIn("pkcs12", goodCert), "signing", "certs/x.pem"),
    `${keyFix("certs/x.pem")} (found PKCS#12 key store (binary))`,
  ],
  [
    "a DER PKCS#8 private key",
    () => certificate(keyIn("der-pkcs8", goodCert)),
    `${KEY_FIX} (found DER private key (binary))`,
  ],
  [
    "a key placed before the certificate, CRLF line ends",
    () => certificate((goodCert.keyPem + goodCert.certPem).replace(/\n/g, "\r\n")),
    `${KEY_FIX} (found BEGIN PRIVATE KEY)`,
  ],
  [
    "a DER certificate instead of PEM",
    () => certificate(goodCert.der),
    "expected a PEM certificate (-----BEGIN CERTIFICATE-----); this is DER: convert it with `openssl x509 -inform der -in <file> -out <file>.pem` (found DER certificate)",
  ],
  [
    "an expired certificate",
    () => certificate(expired.certPem),
    `expected a certificate that has not expired (found expired on ${dayOf(Date.now() - 2 * day)})`,
  ],
  [
    "a certificate not valid yet",
    () => certificate(notYet.certPem),
    `expected a certificate that is already valid (found valid from ${dayOf(Date.now() + 10 * day)})`,
  ],
  ["an RSA 1024 key", () => certificate(weak.certPem), "expected an RSA key of 2048-4096 bits (found RSA 1024 bits)"],
  [
    "an EC key",
    () => certificate(ec.certPem),
    "expected an RSA key of 2048-4096 bits (Transfer's AS2 key lengths) (found ec key)",
  ],
  [
    "a signing certificate whose key usage is encryption only",
    () => certificate(encryptOnly.certPem, "signing"),
    "expected a certificate whose key usage allows signing (digitalSignature or nonRepudiation) (found key usage: keyEncipherment)",
  ],
  [
    "an encryption certificate whose key usage is signing only",
    () => certificate(signOnly.certPem, "encryption"),
    "expected a certificate whose key usage allows encryption (keyEncipherment or dataEncipherment) (found key usage: digitalSignature, nonRepudiation)",
  ],
  [
    "a CA certificate used as a partner's only certificate (signing and encryption)",
    () => certificate(caOnly.certPem, "signing+encryption"),
    [
      "expected a certificate whose key usage allows signing (digitalSignature or nonRepudiation) (found key usage: keyCertSign, cRLSign)",
      "expected a certificate whose key usage allows encryption (keyEncipherment or dataEncipherment) (found key usage: keyCertSign, cRLSign)",
    ].join("\n"),
  ],
  [
    "a certificate file holding a chain",
    () => certificate(goodCert.certPem + caOnly.certPem),
    "expected exactly one certificate: put the issuing certificates in the station's `chain` (partners: keep only the partner's own certificate) (found 2 CERTIFICATE blocks)",
  ],
  ["a chain in a station's chain field", () => certificate(caOnly.certPem + caOnly.certPem, "chain"), "accepted"],
  [
    "an expired certificate in a chain",
    () => certificate(caOnly.certPem + expired.certPem, "chain"),
    `expected a certificate that has not expired (certificate 2 of 2) (found expired on ${dayOf(Date.now() - 2 * day)})`,
  ],
  [
    "garbage inside a CERTIFICATE block",
    () => certificate("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"),
    /^expected a parseable X\.509 certificate \(found .+\)$/,
  ],
  [
    "an empty file",
    () => certificate(""),
    "expected a PEM certificate (-----BEGIN CERTIFICATE-----) (found 0 bytes without a CERTIFICATE block)",
  ],
  [
    "a public key instead of a certificate",
    () => certificate("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"),
    "expected a PEM certificate (-----BEGIN CERTIFICATE-----) (found PUBLIC KEY)",
  ],
  [
    "a 2 MiB certificate file",
    () => folder({ "certs/station.pem": SAMPLE_CERT_PEM + " ".repeat(2 * 1024 * 1024) }),
    `acme.json: stations[0].signing.certificate.file: expected a certificate file of at most 1048576 bytes (found "certs/station.pem": ${Buffer.byteLength(SAMPLE_CERT_PEM) + 2 * 1024 * 1024} bytes)`,
  ],
  [
    "a certificate with CRLF line ends",
    () => certificate(goodCert.certPem.replace(/\r\n/g, "\n").replace(/\n/g, "\r\n")),
    "accepted",
  ],
  [
    "a certificate path that is a folder",
    () => folder({}, "certs"),
    /^acme\.json: stations\[0\]\.signing\.certificate\.file: certificate file not found \(found ".*certs"\)$/,
  ],

  // ---------------------------------------------------------------- S3 keys and event fields
  [
    "upload key with '..' as a folder",
    () => sendKey("AS2/send/ACME/../PARTNER/x.edi"),
    "refused: folder name '..' is a relative path segment",
  ],
  [
    "upload key with a NUL",
    () => sendKey("AS2/send/ACME/PARTNER/x\u0000.edi"),
    "refused: file name contains control characters",
  ],
  [
    "upload key with a double slash",
    () => sendKey("AS2/send/ACME//x.edi"),
    "refused: empty folder name (two '/' in a row or a trailing '/')",
  ],
  [
    "upload key that is a folder marker",
    () => sendKey("AS2/send/ACME/PARTNER/"),
    "refused: key ends with '/': a folder marker, not a file",
  ],
  [
    "upload key nested two batch levels",
    () => sendKey("AS2/send/ACME/PARTNER/a/b/x.edi"),
    "refused: nested folders are not sent: a batch is one subdirectory level (AS2/send/<station>/<partner>/<batch>/<file>)",
  ],
  [
    "upload key of 1100 bytes (over S3's 1024) is parsed, not truncated",
    () => {
      const r = parseSendKey(`AS2/send/ACME/PARTNER/${"x".repeat(1080)}.edi`);
      return r.ok ? `route with a ${r.value.fileName.length}-character file name` : `refused: ${r.reason}`;
    },
    "route with a 1084-character file name",
  ],
  [
    "upload key with unicode and '+' stays exact",
    () => sendKey("AS2/send/ACME/PARTNER/Rechnung für März+1.edi"),
    `route {"station":"ACME","partner":"PARTNER","test":false,"fileName":"Rechnung für März+1.edi"}`,
  ],
  [
    "event key URL-encoded with '+' for space",
    () => decodeEventKey("AS2/send/ACME/PARTNER/a+b%2Bc.edi"),
    "AS2/send/ACME/PARTNER/a b+c.edi",
  ],
  [
    "event key with a malformed percent-encoding is kept raw",
    () => decodeEventKey("AS2/send/ACME/PARTNER/100%.edi"),
    "AS2/send/ACME/PARTNER/100%.edi",
  ],
  [
    "event key encoding '..' is decoded, then refused as a segment",
    () => sendKey(decodeEventKey("AS2/send/ACME/%2E%2E/x.edi")),
    "refused: folder name '..' is a relative path segment",
  ],
  [
    "segment with DEL",
    () => segmentProblem("a\u007fb", "file name") ?? "accepted",
    "file name contains control characters",
  ],
  [
    "Transfer key without the leading '/' is kept",
    () => keyFromTransferAttribute("_gateway/inbound/x/processed/a.edi"),
    "_gateway/inbound/x/processed/a.edi",
  ],
  [
    "staged key with '..' is not a claim",
    () => JSON.stringify(parseOutboundWorkKey("_gateway/outbound/slug/../x.edi") ?? "not a staged payload"),
    '"not a staged payload"',
  ],
  [
    "S3 event for another bucket keeps that bucket (the stage step refuses it)",
    () =>
      queueBody(
        JSON.stringify({
          source: "aws.s3",
          "detail-type": "Object Created",
          account: "999999999999",
          detail: { bucket: { name: "someone-else" }, object: { key: "AS2/send/ACME/PARTNER/x.edi", etag: "e" } },
        }),
      ),
    'message {"kind":"file","bucket":"someone-else","key":"AS2/send/ACME/PARTNER/x.edi","etag":"e"}',
  ],
  ["queue body that is not JSON", () => queueBody("<xml/>"), "BadMessage: message body is not JSON: <xml/>"],
  [
    "queue body of another shape",
    () => queueBody('{"kind":"rm","path":"/"}'),
    'BadMessage: message is neither an S3 Object Created event nor a send pipeline message: {"kind":"rm","path":"/"}',
  ],
  [
    "Transfer event from another source",
    () => transferEvent({ source: "evil", "detail-type": "AS2 Payload Receive Completed", detail: {} }),
    'NotATransferEvent: source is "evil", expected "aws.transfer"',
  ],
  [
    "Transfer event of an unknown type",
    () => transferEvent({ source: "aws.transfer", "detail-type": "SFTP Upload", detail: {} }),
    'NotATransferEvent: detail-type "SFTP Upload" is not an AS2 event',
  ],
  [
    "Transfer event for a file in another bucket keeps that bucket (the receive step refuses it)",
    () =>
      transferEvent({
        source: "aws.transfer",
        account: "999999999999",
        "detail-type": "AS2 Payload Receive Completed",
        detail: { "agreement-id": "a-1", "s3-attributes": { "file-bucket": "someone-else", "file-key": "/x/../y" } },
      }),
    'event {"detailType":"AS2 Payload Receive Completed","file":{"bucket":"someone-else","key":"x/../y"},"agreementId":"a-1"}',
  ],
  [
    "Transfer event whose fields have the wrong types: numbers become text, a non-object s3-attributes is ignored",
    () =>
      transferEvent({
        source: "aws.transfer",
        "detail-type": "AS2 Payload Receive Completed",
        detail: { "agreement-id": 42, "s3-attributes": "nope" },
      }),
    'event {"detailType":"AS2 Payload Receive Completed","agreementId":"42"}',
  ],
];

describe("bad-input catalogue", () => {
  it("has at least 60 hostile inputs", () => {
    expect(ROWS.length).toBeGreaterThanOrEqual(60);
  });

  it.each(ROWS)("%s", async (_name, run, expected) => {
    const outcome = await run();
    expect(outcome).not.toMatch(/^CRASH|\n\s+at /);
    if (typeof expected === "string") expect(outcome).toBe(expected);
    else expect(outcome).toMatch(expected);
  });
});

describe("the customer loader on arbitrary JSON (fast-check)", () => {
  const REPORT = /^customers\/acme\.json: [^\n]*: [^\n]+$/;
  function assertReport(raw: unknown) {
    try {
      validateCustomer(raw, FILE, NOW);
    } catch (e) {
      expect(e).toBeInstanceOf(CustomerFileError);
      const lines = (e as CustomerFileError).problems.map(formatProblem);
      expect(lines.length).toBeGreaterThan(0);
      for (const line of lines) expect(line).toMatch(REPORT);
    }
  }

  it("never throws anything but the file: path: message report, for any JSON value", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => assertReport(v)),
      { numRuns: 300 },
    );
  });

  it("nor for a valid customer with any field replaced by any JSON value", () => {
    const base = JSON.parse(JSON.stringify(customerInput())) as Raw;
    const paths: string[][] = [];
    const walk = (v: unknown, p: string[]) => {
      paths.push(p);
      if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) walk(x, [...p, k]);
    };
    walk(base, []);
    fc.assert(
      fc.property(fc.constantFrom(...paths.filter((p) => p.length > 0)), fc.jsonValue(), (path, value) => {
        const c = structuredClone(base);
        let at: any = c;
        for (const k of path.slice(0, -1)) at = at[k];
        at[path[path.length - 1]!] = value;
        assertReport(c);
      }),
      { numRuns: 300 },
    );
  });
});
