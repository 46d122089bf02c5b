/**
 * `npm run bench`: measures synth at scale, the handler bundles and the cost of moving a message,
 * prints a table, writes results.json and results.md, and checks every target there (never in unit
 * tests). A plain run leaves the work tree clean: results go to bench/out/ (git-ignored).
 *
 *   npm run bench                      everything; results in bench/out/
 *   npm run bench -- --write           refresh the committed bench/results.json and bench/results.md
 *   npm run bench -- --only=synth,bundles,move,pipeline
 *   npm run bench -- --quick           fewer repeats, no 200 MB case (a smoke run)
 *   npm run bench -- --update-readme   also copy the table into the README's Benchmarks section
 *   npm run bench -- --cpu-prof        always profile the largest synth (bench/tmp/cpu-profile/; done anyway when it is too slow)
 */
import { execSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join, relative, resolve } from "node:path";
import { benchSynth } from "./synth";
import { benchBundles } from "./bundles";
import { benchMove } from "./move";
import { benchPipeline } from "./pipeline";
import {
  allTargets,
  renderMarkdown,
  renderText,
  replaceReadmeSection,
  type BenchResults,
  type SectionResult,
} from "./lib/report";

const ROOT = resolve(__dirname, "..");
const TMP = join(ROOT, "bench", "tmp");
/** The folder a run writes results.json and results.md to: bench/out/ (git-ignored) unless `--write`. */
export function resultsDir(write: boolean, root = ROOT): string {
  return write ? join(root, "bench") : join(root, "bench", "out");
}

export function parseArgs(argv: readonly string[]) {
  const flag = (name: string) => argv.includes(`--${name}`);
  const only = argv
    .find((a) => a.startsWith("--only="))
    ?.slice("--only=".length)
    .split(",");
  return {
    quick: flag("quick"),
    write: flag("write"),
    updateReadme: flag("update-readme"),
    cpuProf: flag("cpu-prof"),
    only,
  };
}

function commit(): string | undefined {
  try {
    const sha = execSync("git rev-parse --short HEAD", {
      cwd: ROOT,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }).trim();
    const dirty = execSync("git status --porcelain --untracked-files=no", {
      cwd: ROOT,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }).trim();
    return dirty ? `${sha}+changes` : sha;
  } catch {
    return undefined;
  }
}

// The SDK warns once that Node 20 support ends in 2027: true, and not what this run is about.
process.removeAllListeners("warning");
process.on("warning", (w) => {
  if (!/NodeVersionSupportWarning/.test(`${w.name} ${w.message}`)) process.stderr.write(`${w.name}: ${w.message}\n`);
});

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const log = (s: string) => process.stderr.write(`${s}\n`);
  const started = Date.now();
  const loadAverage = loadavg()[0]!;
  mkdirSync(TMP, { recursive: true });
  const want = (s: string) => !args.only || args.only.includes(s);
  const sections: SectionResult[] = [];
  const run = async (name: string, fn: () => Promise<SectionResult>) => {
    if (!want(name)) return;
    log(`${name}...`);
    const t = Date.now();
    try {
      sections.push(await fn());
    } catch (e) {
      log(`${name} failed: ${(e as Error).stack ?? String(e)}`);
      sections.push({
        name,
        durationMs: Date.now() - t,
        tables: [],
        targets: [],
        data: null,
        error: (e as Error).message.split("\n")[0]!,
      });
    }
    log(`${name} done in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  };

  await run("synth", () =>
    benchSynth({
      root: ROOT,
      tmp: join(TMP, "synth"),
      sizes: [1, 100, 1000],
      repeats: args.quick ? 1 : 3,
      variants: true,
      cpuProfile: args.cpuProf,
      profileDir: join(TMP, "cpu-profile"),
      log,
    }),
  );
  await run("bundles", () => benchBundles({ root: ROOT, tmp: join(TMP, "bundles"), loads: args.quick ? 1 : 5, log }));
  await run("move", () => benchMove({ root: ROOT, tmp: join(TMP, "move"), quick: args.quick, log }));
  await run("pipeline", () => benchPipeline({ root: ROOT, tmp: join(TMP, "pipeline"), quick: args.quick, log }));

  const cpu = cpus();
  const results: BenchResults = {
    generatedAt: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
    ...(commit() ? { commit: commit()! } : {}),
    machine: {
      cpus: cpu.length,
      cpuModel: cpu[0]?.model.trim() ?? "unknown",
      node: process.version,
      platform: `${process.platform}-${process.arch}`,
      loadAverage,
    },
    durationMs: Date.now() - started,
    sections,
  };
  const outDir = resultsDir(args.write);
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, "results.json"), JSON.stringify(results, null, 2) + "\n");
  const md = renderMarkdown(results);
  writeFileSync(join(outDir, "results.md"), md);
  process.stdout.write(renderText(results));
  if (args.updateReadme) {
    const readme = join(ROOT, "README.md");
    writeFileSync(readme, replaceReadmeSection(readFileSync(readme, "utf8"), md));
    log("README.md Benchmarks section updated");
  }
  for (const dir of ["synth", "bundles", "move", "pipeline"]) rmSync(join(TMP, dir), { recursive: true, force: true });
  const failed = allTargets(results).filter((t) => t.verdict === "fails");
  const broken = sections.filter((s) => s.error);
  log(
    `\n${failed.length} target(s) fail, ${broken.length} section(s) did not complete; results in ${relative(ROOT, outDir)}/results.json and results.md${args.write ? "" : " (--write refreshes the committed ones)"} (${((Date.now() - started) / 1000).toFixed(0)} s)`,
  );
  // Targets are reported, not enforced by exit code; a section that cannot run is an error.
  process.exitCode = broken.length ? 1 : 0;
}

if (require.main === module) {
  main().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
