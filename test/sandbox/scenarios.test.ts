/**
 * The scenarios shipped in sandbox/scenarios/ (the README's offline rehearsal) hold against the
 * example customer: each is read with the CLI's schema and run step by step in the sandbox. The
 * settle and retry times are the tests' short ones (the CLI runs the customer's own), so this checks
 * what a scenario expects, not how long it takes.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { runScenario, scenarioSchema } from "../../sandbox/runner/scenario";
import { startExampleSandbox, type ExampleSandbox } from "../helpers/example-sandbox";

const DIR = join(__dirname, "..", "..", "sandbox", "scenarios");
const files = readdirSync(DIR).filter((f) => f.endsWith(".json"));

it("ships the scenarios the README names", () => {
  expect(files).toEqual(expect.arrayContaining(["round-trip.json", "pipeline.json"]));
});

describe.each(files)("sandbox/scenarios/%s", (file) => {
  let x: ExampleSandbox | undefined;
  afterAll(async () => {
    await x?.sb.stop();
  });

  it("holds on the example customer", async () => {
    const scenario = scenarioSchema.parse(JSON.parse(readFileSync(join(DIR, file), "utf8")));
    expect(scenario.customer).toBe("example");
    x = await startExampleSandbox(`scenario-${file.replace(/\W/g, "-")}`, scenario.overrides ?? {});
    const log = x.lines;
    const r = await runScenario(x.sb, scenario, (l) => void log.push(l));
    if (!r.ok) throw new Error(`${r.failures.join("\n")}\n--- sandbox log ---\n${log.join("\n")}`);
    expect(r.passed.length).toBe(scenario.steps.filter((s) => "expect" in s).length);
    expect(x.sb.deadLetters()).toEqual([]);
  }, 240_000);
});
