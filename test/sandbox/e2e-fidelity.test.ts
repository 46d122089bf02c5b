/**
 * Issue #12's end-to-end claims, on the example customer's synthesized stack in the sandbox (real
 * handlers, real AS2): a DNS failure at a partner is retried and delivered once the name resolves
 * again; two messages with the same file name both reach inbox/ whether the agreement preserves
 * file names (UMBRELLA-TEST here) or not (GLOBEX, the default).
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Sandbox } from "../../sandbox/runner/sandbox";
import { synthesize } from "../../sandbox/runner/synthesize";
import { runScenario } from "../../sandbox/runner/scenario";
import type { Scenario } from "../../sandbox/runner/scenario";
import { EXAMPLE_DIR } from "../helpers/customer-factory";

const lines: string[] = [];
let sb: Sandbox;

beforeAll(async () => {
  const workDir = mkdtempSync(join(tmpdir(), "sandbox-fidelity-"));
  const example = JSON.parse(readFileSync(join(EXAMPLE_DIR, "example.json"), "utf8")) as {
    partners: Array<{ as2Id: string; inbound?: object }>;
  };
  const partners = example.partners.map((p) =>
    p.as2Id === "UMBRELLA-TEST" ? { ...p, inbound: { preserveFilename: true } } : p,
  );
  const synth = synthesize({
    customer: "example",
    workDir,
    overrides: {
      settle: { fileSeconds: 1, directorySeconds: 2 },
      retry: { initialSeconds: 2, maxSeconds: 4, maxAttempts: 5 },
      partners,
    },
  });
  sb = new Sandbox({ stackDir: synth.stackDir, workDir, log: (l) => void lines.push(l) });
  await sb.start();
}, 90_000);

afterAll(async () => {
  await sb?.stop();
});

async function run(steps: Scenario["steps"]): Promise<void> {
  const r = await runScenario(sb, { customer: "example", timeoutSeconds: 40, steps }, (l) => void lines.push(l));
  if (!r.ok) throw new Error(`${r.failures.join("\n")}\n--- sandbox log ---\n${lines.join("\n")}`);
}

/** Waits for a sandbox log line (the emulator's report of an attempt), failing with the log. */
async function logLine(pattern: RegExp, seconds = 40): Promise<void> {
  const until = Date.now() + seconds * 1000;
  while (!lines.some((l) => pattern.test(l))) {
    if (Date.now() > until) throw new Error(`no log line ${pattern}\n--- sandbox log ---\n${lines.join("\n")}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("Transfer as AWS documents it, in the sandbox", () => {
  it("retries UNABLE_TO_RESOLVE_HOSTNAME and delivers when the partner's name resolves again", async () => {
    await run([
      { partnerMode: { partner: "GLOBEX", mode: "unresolvable" } },
      { upload: { station: "ACME-AS2", partner: "GLOBEX", file: "dns-4712.edi", content: "UNB+DNS'" } },
    ]);
    await logLine(/MDN +dns-4712\.edi: FAILED UNABLE_TO_RESOLVE_HOSTNAME/);
    await run([
      { partnerMode: { partner: "GLOBEX", mode: "ok" } },
      { expect: { partnerReceived: { partner: "GLOBEX", file: "dns-4712.edi" } } },
      {
        expect: { folder: "outbox", station: "ACME-AS2", partner: "GLOBEX", file: "dns-4712.edi", verifiedMdn: true },
      },
    ]);
    expect(lines.some((l) => /failed\/.*dns-4712/.test(l))).toBe(false);
  }, 150_000);

  it("PreserveFilename DISABLED (GLOBEX): two same-named messages back to back both reach inbox/", async () => {
    await run([
      { sendInbound: { partner: "GLOBEX", file: "same-name.edi", content: "FIRST'" } },
      { sendInbound: { partner: "GLOBEX", file: "same-name.edi", content: "SECOND'" } },
      { expect: { folder: "inbox", station: "ACME-AS2", partner: "GLOBEX", file: "same-name.edi", count: 2 } },
    ]);
  }, 150_000);

  it("PreserveFilename ENABLED (UMBRELLA-TEST): two same-named messages in a row both reach inbox/", async () => {
    // With the partner's name kept, Transfer's landing has one key per name: the second message must
    // arrive after the first was routed, or it overwrites it there (why the default is DISABLED).
    await run([
      { sendInbound: { partner: "UMBRELLA-TEST", file: "kept-name.edi", content: "FIRST'" } },
      { expect: { folder: "inbox", station: "ACME-AS2", partner: "UMBRELLA-TEST", file: "kept-name.edi" } },
      { sendInbound: { partner: "UMBRELLA-TEST", file: "kept-name.edi", content: "SECOND'" } },
      {
        expect: { folder: "inbox", station: "ACME-AS2", partner: "UMBRELLA-TEST", file: "kept-name.edi", count: 2 },
      },
    ]);
  }, 150_000);
});
