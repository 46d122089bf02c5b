/**
 * End to end: the example customer's synthesized stack running in the sandbox, through the
 * deployed bundles (send and receive handlers), with real AS2 between the emulated Transfer Family
 * and the partner stand-ins. Settle and retry times are shortened through overrides of a copy of
 * customers/example.json; everything else is the example as declared.
 */
import type { Sandbox } from "../../sandbox/runner/sandbox";
import type { Scenario } from "../../sandbox/runner/scenario";
import { expectSteps, startExampleSandbox, type ExampleSandbox } from "../helpers/example-sandbox";

let x: ExampleSandbox;
let sb: Sandbox;
let lines: string[];

beforeAll(async () => {
  x = await startExampleSandbox("sandbox-e2e");
  ({ sb, lines } = x);
}, 90_000);

afterAll(async () => {
  await sb?.stop();
});

const run = (steps: Scenario["steps"]) => expectSteps(x, steps, 30);

describe("the example customer in the sandbox", () => {
  it("sends an upload to Globex and files it in outbox/ with Globex's verified MDN", async () => {
    await run([
      {
        upload: {
          station: "ACME-AS2",
          partner: "GLOBEX",
          file: "invoice 4711.edi",
          content: "UNB+UNOA:2+ACME-AS2+GLOBEX'\r\n",
        },
      },
      { expect: { partnerReceived: { partner: "GLOBEX", file: "invoice 4711.edi" } } },
      {
        expect: {
          folder: "outbox",
          station: "ACME-AS2",
          partner: "GLOBEX",
          file: "invoice 4711.edi",
          verifiedMdn: true,
        },
      },
      { expect: { domainEvent: "MESSAGE.SEND.SUCCESS" } },
    ]);
    expect(lines.some((l) => /uploaded .*invoice 4711\.edi/.test(l))).toBe(true);
    expect(
      lines.some((l) => /MDN .*invoice 4711\.edi: automatic-action\/MDN-sent-automatically; processed/.test(l)),
    ).toBe(true);
  }, 150_000);

  it("files what Globex sends in inbox/ under its original name", async () => {
    await run([
      { sendInbound: { partner: "GLOBEX", file: "order-0815.edi", content: "UNB+UNOA:2+GLOBEX+ACME-AS2'\r\n" } },
      { expect: { folder: "inbox", station: "ACME-AS2", partner: "GLOBEX", file: "order-0815.edi" } },
      { expect: { domainEvent: "MESSAGE.RECEIVED.SUCCESS" } },
    ]);
  }, 150_000);

  it("retries while Initech is down, then files the upload in failed/ with the reason", async () => {
    await run([
      { partnerMode: { partner: "INITECH", mode: "down" } },
      { upload: { station: "ACME-EU", partner: "INITECH", file: "po-1.edi", content: "UNB+1'" } },
      {
        expect: {
          folder: "failed",
          station: "ACME-EU",
          partner: "INITECH",
          file: "po-1.edi",
          failureCode: "UNABLE_TO_CONNECT_TO_REMOTE_HOST_OR_IP",
        },
      },
      { expect: { domainEvent: "MESSAGE.SEND.FAILED" } },
      { partnerMode: { partner: "INITECH", mode: "ok" } },
    ]);
    expect(sb.counters.transfers).toBeGreaterThanOrEqual(3); // Globex once, Initech at least twice
  }, 150_000);

  it("files a message with a bad signature in failed/ with Transfer's code", async () => {
    await run([
      { sendInbound: { partner: "GLOBEX", file: "forged.edi", content: "x", forgeSignature: true } },
      {
        expect: {
          folder: "failed",
          station: "ACME-AS2",
          partner: "GLOBEX",
          file: "forged.edi",
          failureCode: "VERIFICATION_FAILED_NO_MATCHING_KEY_FOUND",
        },
      },
      { expect: { domainEvent: "MESSAGE.RECEIVED.FAILED" } },
    ]);
  }, 150_000);
});
