/**
 * `npm run sandbox [-- <customer>] [--scenario <file>] [--verbose]`
 * `npm run sandbox -- send-inbound <partner> <file> [--customer <customer>]`
 *
 * Synthesizes the customer's stack and runs it on this machine (see sandbox/runner/sandbox.ts).
 * Without a scenario it stays up for you to upload files and type commands; with one it runs the
 * script and exits 0 when every expectation held.
 */
import "./runner/quiet-warnings";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { sendKey } from "../model/layout";
import { Sandbox } from "./runner/sandbox";
import { synthesize } from "./runner/synthesize";
import { runScenario, scenarioSchema } from "./runner/scenario";
import type { Scenario } from "./runner/scenario";
import { PARTNER_MODES } from "./partner/partner";
import type { PartnerMode } from "./partner/partner";

interface Args {
  customer: string;
  scenario?: string;
  verbose: boolean;
  sendInbound?: { partner: string; file: string };
}

const USAGE = `usage:
  npm run sandbox [-- <customer>] [--verbose]            run a customer's gateway locally (default: example)
  npm run sandbox -- --scenario <file.json> [--verbose]  run a scripted rehearsal; exit 0 when it holds
  npm run sandbox -- send-inbound <partner> <file> [--customer <customer>]
                                                         a partner sends a file; wait until it is routed`;

function parseArgs(argv: string[]): Args {
  const a: Args = { customer: "example", verbose: false };
  const rest = [...argv];
  while (rest.length) {
    const x = rest.shift()!;
    if (x === "--scenario") a.scenario = rest.shift();
    else if (x === "--customer") a.customer = rest.shift() ?? a.customer;
    else if (x === "--verbose" || x === "-v") a.verbose = true;
    else if (x === "--help" || x === "-h") {
      console.log(USAGE);
      process.exit(0);
    } else if (x === "send-inbound") {
      const partner = rest.shift();
      const file = rest.shift();
      if (!partner || !file) throw new Error(`send-inbound needs <partner> <file>\n${USAGE}`);
      a.sendInbound = { partner, file };
    } else if (x.startsWith("-")) throw new Error(`unknown option ${x}\n${USAGE}`);
    else a.customer = x;
  }
  return a;
}

function loadScenario(file: string): Scenario {
  const parsed = scenarioSchema.safeParse(JSON.parse(readFileSync(file, "utf8")));
  if (!parsed.success)
    throw new Error(`${file}: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  return parsed.data;
}

async function interactive(sb: Sandbox, stationOf: (partner: string) => string | undefined): Promise<void> {
  const bucket = sb.buckets[0]!;
  console.log(`
The gateway is running. Upload with any S3 client (path-style, any credentials):
  aws --endpoint-url ${sb.s3Endpoint} s3 cp invoice.edi s3://${bucket}/AS2/send/<station>/<partner>/
or type a command:
  upload <station> <partner> <file>     put a local file under AS2/send/<station>/<partner>/
  inbound <partner> <file>              the partner sends a local file to the gateway
  partner <partner> <${PARTNER_MODES.join("|")}>
  sweep                                 run the scheduled sweep now
  summary | quit`);
  for (const line of sb.sftpBanner()) console.log(line);
  const rl = createInterface({ input: process.stdin, output: process.stdout, prompt: "sandbox> " });
  rl.prompt();
  for await (const line of rl) {
    const [cmd, ...args] = line.trim().split(/\s+/);
    try {
      if (cmd === "upload" && args.length === 3) {
        const [station, partner, file] = args as [string, string, string];
        await sb.s3.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: sendKey({ station, partner, test: false }, basename(file)),
            Body: readFileSync(file),
          }),
        );
      } else if (cmd === "inbound" && args.length === 2) {
        await sb.sendInbound(args[0]!, basename(args[1]!), readFileSync(args[1]!));
      } else if (cmd === "partner" && args.length === 2 && PARTNER_MODES.includes(args[1] as PartnerMode)) {
        await sb.partners.get(args[0]!)?.setMode(args[1] as PartnerMode);
        console.log(`partner ${args[0]} is now '${args[1]}'${stationOf(args[0]!) ? "" : " (unknown partner)"}`);
      } else if (cmd === "sweep") await sb.runSchedules();
      else if (cmd === "summary") console.log(sb.summary());
      else if (cmd === "quit" || cmd === "exit") break;
      else if (cmd) console.log(USAGE);
    } catch (e) {
      console.log(`error: ${(e as Error).message}`);
    }
    rl.prompt();
  }
  rl.close();
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const scenario = args.scenario ? loadScenario(resolve(args.scenario)) : undefined;
  const customer = scenario?.customer ?? args.customer;
  const workDir = mkdtempSync(join(tmpdir(), "as2-sandbox-"));
  console.log(`synthesizing ${customer} ...`);
  const synth = synthesize({ customer, workDir, ...(scenario?.overrides ? { overrides: scenario.overrides } : {}) });
  console.log(`running stack ${basename(synth.stackDir)} from ${synth.stackDir} (work folder ${workDir})`);
  const sb = new Sandbox({ stackDir: synth.stackDir, workDir, verbose: args.verbose });
  let code = 0;
  const stop = async () => {
    await sb.settle(2000);
    console.log(sb.summary());
    await sb.stop();
  };
  process.once("SIGINT", () => void stop().then(() => process.exit(130)));
  await sb.start();
  try {
    if (scenario) {
      if (scenario.description) console.log(`scenario: ${scenario.description}`);
      const r = await runScenario(sb, scenario, (l) => console.log(l));
      console.log(
        r.ok
          ? `scenario passed: ${r.passed.length} expectation(s) held`
          : `scenario FAILED:\n  ${r.failures.join("\n  ")}`,
      );
      code = r.ok ? 0 : 1;
    } else if (args.sendInbound) {
      const file = args.sendInbound.file;
      const r = await sb.sendInbound(args.sendInbound.partner, basename(file), readFileSync(file));
      await sb.settle(60_000);
      code = r.mdn?.status === "processed" ? 0 : 1;
    } else {
      const stationOf = (p: string) => sb.wiring.partners.get(p)?.stations[0];
      await interactive(sb, stationOf);
    }
  } finally {
    await stop();
  }
  return code;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(2);
  },
);
