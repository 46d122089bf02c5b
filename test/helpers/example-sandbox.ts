/** The example customer running in the sandbox with short settle and retry times, for end-to-end tests. */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Sandbox } from "../../sandbox/runner/sandbox";
import { synthesize } from "../../sandbox/runner/synthesize";
import { runScenario, type Scenario } from "../../sandbox/runner/scenario";

export const FAST_TIMES = {
  settle: { fileSeconds: 1, directorySeconds: 2 },
  retry: { initialSeconds: 1, maxSeconds: 2, maxAttempts: 2 },
};

export interface ExampleSandbox {
  readonly sb: Sandbox;
  readonly workDir: string;
  readonly stackDir: string;
  /** Every line the sandbox logged, for failure messages. */
  readonly lines: string[];
}

/**
 * Starts not yet returned, each with a way to abandon it. A start that outlives its beforeAll's
 * timeout (a loaded machine) returns after the file's afterAll found no sandbox to stop; its servers
 * and function processes then kept jest from ever exiting (seen under load: the run hung instead of
 * failing). This hook, registered in every test file that imports the helper, abandons such a start:
 * the sandbox is stopped as soon as it has started.
 */
const starting = new Map<Promise<void>, () => void>();
afterAll(async () => {
  for (const abandon of starting.values()) abandon();
  await Promise.all([...starting.keys()].map((p) => p.catch(() => undefined)));
});

/** Synthesizes the example (FAST_TIMES, then `overrides`) and starts it. */
export async function startExampleSandbox(
  prefix: string,
  overrides: Record<string, unknown> = {},
): Promise<ExampleSandbox> {
  const workDir = mkdtempSync(join(tmpdir(), `${prefix}-`));
  const synth = synthesize({ customer: "example", workDir, overrides: { ...FAST_TIMES, ...overrides } });
  const lines: string[] = [];
  const sb = new Sandbox({ stackDir: synth.stackDir, workDir, log: (l) => void lines.push(l) });
  let abandoned = false;
  const start = sb.start().then(
    async () => {
      if (abandoned) await sb.stop();
    },
    async (e: unknown) => {
      // A start that fails half-way leaves what it started running.
      await sb.stop().catch(() => undefined);
      throw e;
    },
  );
  starting.set(start, () => (abandoned = true));
  try {
    await start;
  } finally {
    starting.delete(start);
  }
  // Not handed to the file's own afterAll: a second Sandbox.stop() does not return.
  if (abandoned) throw new Error(`sandbox ${prefix} started after its test file stopped waiting (now stopped)`);
  return { sb, workDir, stackDir: synth.stackDir, lines };
}

/** Runs scenario steps; a failure shows what went wrong and the sandbox's log. */
export async function expectSteps(x: ExampleSandbox, steps: Scenario["steps"], timeoutSeconds = 30): Promise<void> {
  const r = await runScenario(x.sb, { customer: "example", timeoutSeconds, steps }, (l) => void x.lines.push(l));
  if (!r.ok)
    throw new Error(`${r.failures.join("\n")}\n--- sandbox log ---\n${x.lines.join("\n")}${standInReports(x.sb)}`);
  expect(r.failures).toEqual([]);
}

/**
 * What the partner stand-ins answered, and why any of them failed: the connector's failure says only
 * the status (a 500 under load once, with no way to tell what threw, or whether the stand-in answered).
 */
function standInReports(sb: Sandbox): string {
  return `\n--- partner stand-ins ---\n${[...sb.partners.values()].map((p) => p.report()).join("\n")}`;
}
