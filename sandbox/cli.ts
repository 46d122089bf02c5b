/**
 * `npm run sandbox [-- <customer>] [--scenario <file>] [--partner ID=url]... [--station-key ID=key.pem]... [--verbose]`
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
import { PROMPT_HELP, parsePromptCommand } from "./prompt";

interface Args {
  customer: string;
  scenario?: string;
  verbose: boolean;
  externalPartners: Record<string, string>;
  stationKeys: Record<string, string[]>;
  sendInbound?: { partner: string; file: string };
}

const USAGE = `usage:
  npm run sandbox [-- <customer>] [--verbose]            run a customer's gateway locally (default: example)
  npm run sandbox -- --scenario <file.json> [--verbose]  run a scripted rehearsal; exit 0 when it holds
  npm run sandbox -- send-inbound <partner> <file> [--customer <customer>]
                                                         a partner sends a file; wait until it is routed
options (repeatable):
  --partner <as2id>=<url>          the partner is external AS2 software at <url>: no stand-in, its declared certificates
  --station-key <as2id>=<key.pem>  the station's private key for its declared certificate (else a throwaway pair)`;

/** `ID=value` of --partner / --station-key. */
function assignment(option: string, value: string | undefined): [string, string] {
  const eq = value?.indexOf("=") ?? -1;
  if (!value || eq <= 0 || eq === value.length - 1)
    throw new Error(`${option} needs <as2id>=<value>, found ${value ?? "nothing"}\n${USAGE}`);
  return [value.slice(0, eq), value.slice(eq + 1)];
}

function parseArgs(argv: string[]): Args {
  const a: Args = { customer: "example", verbose: false, externalPartners: {}, stationKeys: {} };
  const rest = [...argv];
  while (rest.length) {
    const x = rest.shift()!;
    if (x === "--scenario") a.scenario = rest.shift();
    else if (x === "--customer") a.customer = rest.shift() ?? a.customer;
    else if (x === "--verbose" || x === "-v") a.verbose = true;
    else if (x === "--partner") {
      const [id, url] = assignment(x, rest.shift());
      if (!/^https?:\/\//.test(url)) throw new Error(`--partner ${id}: ${url} is not an http:// or https:// URL`);
      a.externalPartners[id] = url;
    } else if (x === "--station-key") {
      const [id, path] = assignment(x, rest.shift());
      a.stationKeys[id] = [...(a.stationKeys[id] ?? []), path];
    } else if (x === "--help" || x === "-h") {
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

/** A station key file, refused clearly when it is not a PEM private key. */
function readKeyFile(station: string, path: string): string {
  const text = readFileSync(resolve(path), "utf8");
  if (!/-----BEGIN (RSA |EC )?PRIVATE KEY-----/.test(text))
    throw new Error(`--station-key ${station}=${path}: not a PEM private key (-----BEGIN PRIVATE KEY-----)`);
  return text;
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
The gateway is running: upload with any S3 client as shown above, or type a command.
${PROMPT_HELP}`);
  const rl = createInterface({ input: process.stdin, output: process.stdout, prompt: "sandbox> " });
  rl.prompt();
  for await (const line of rl) {
    const c = parsePromptCommand(line);
    try {
      if (c.kind === "upload") {
        await sb.s3.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: sendKey({ station: c.station, partner: c.partner, test: false }, basename(c.file)),
            Body: readFileSync(c.file),
          }),
        );
      } else if (c.kind === "inbound") {
        await sb.sendInbound(c.partner, basename(c.file), readFileSync(c.file));
      } else if (c.kind === "partner") {
        await sb.partners.get(c.partner)?.setMode(c.mode);
        console.log(`partner ${c.partner} is now '${c.mode}'${stationOf(c.partner) ? "" : " (unknown partner)"}`);
      } else if (c.kind === "sweep") await sb.runSchedules();
      else if (c.kind === "summary") console.log(sb.summary());
      else if (c.kind === "quit") break;
      else if (c.kind === "help") console.log(`${c.problem ? `${c.problem}\n` : ""}${PROMPT_HELP}`);
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
  const externalPartners = { ...(scenario?.externalPartners ?? {}), ...args.externalPartners };
  const stationKeys = Object.fromEntries(
    Object.entries(args.stationKeys).map(([id, paths]) => [id, paths.map((p) => readKeyFile(id, p))]),
  );
  const sb = new Sandbox({ stackDir: synth.stackDir, workDir, verbose: args.verbose, externalPartners, stationKeys });
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
