/**
 * Issue #11, "Done when" in the sandbox: the example customer's stack runs locally; a send whose
 * settle function fails after staging (the emulated Transfer API refuses StartFileTransfer:
 * sandbox-only fault injection, no production code path changes) waits as open work, which
 * `npm run gateway -- status example` shows through the AWS_ENDPOINT_URL_* variables; then the
 * claim's continuation / redelivery (and the scheduled reconciler) finish it into outbox/.
 */
import type { Sandbox } from "../../sandbox/runner/sandbox";
import type { Scenario } from "../../sandbox/runner/scenario";
import { expectSteps, startExampleSandbox, type ExampleSandbox } from "../helpers/example-sandbox";
import { main as gateway } from "../../scripts/gateway";

let x: ExampleSandbox;
let sb: Sandbox;

beforeAll(async () => {
  x = await startExampleSandbox("sandbox-recovery");
  ({ sb } = x);
  Object.assign(process.env, sb.clientEnv);
}, 90_000);

afterAll(async () => {
  await sb?.stop();
});

const run = (steps: Scenario["steps"]) => expectSteps(x, steps, 60);

async function status(): Promise<string[]> {
  const out: string[] = [];
  expect(await gateway(["status", "example"], (l) => void out.push(l))).toBe(0);
  return out;
}

it("a send interrupted after staging is shown by status while it waits, then finished into outbox/", async () => {
  // Staging happens before StartFileTransfer: refusing the call stops the settle function after it.
  sb.transfer.throttleNext = 1_000;
  const file = "interrupted 0042.edi";
  await run([{ upload: { station: "ACME-AS2", partner: "GLOBEX", file, content: "UNB+UNOA:2+ACME-AS2+GLOBEX'\r\n" } }]);
  // Wait (on the condition, not a fixed time) until the settle function has been refused once.
  for (let i = 0; i < 600 && sb.transfer.throttleNext === 1_000; i++) await new Promise((r) => setTimeout(r, 100));
  expect(sb.transfer.throttleNext).toBeLessThan(1_000);
  const waiting = await status();
  if (process.env.SHOW_STATUS) process.stderr.write(`${waiting.join("\n")}\n`);
  // Open work listed by kind and state (not "send-claim: none"), with the file waiting.
  expect(waiting.some((l) => /^ {2}send-(claim|file) [a-z-]+: [1-9]\d*, oldest /.test(l))).toBe(true);
  expect(sb.counters.outbox.filter((k) => k.includes("interrupted 0042"))).toEqual([]);

  // Transfer answers again; the continuation, the queue and the scheduled reconciler finish it.
  sb.transfer.throttleNext = 0;
  await sb.runSchedules();
  await run([
    { expect: { folder: "outbox", station: "ACME-AS2", partner: "GLOBEX", file, verifiedMdn: true } },
    { expect: { domainEvent: "MESSAGE.SEND.SUCCESS" } },
  ]);
  expect(sb.deadLetters()).toEqual([]);
}, 240_000);
