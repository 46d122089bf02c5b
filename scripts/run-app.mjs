/**
 * Runs the CDKTF app (main.ts) the fast way: our TypeScript compiled once by esbuild into one
 * CommonJS file under .gen/app/ (node_modules stay outside, loaded by Node as usual), rebuilt only
 * when one of its source files changes. Loading through tsx transpiles ~100 files and runs Node's
 * module hooks on every synth: about a second of a 1-partner synth.
 *
 * `npm run synth` and cdktf.json both start here. TypeScript customer files (defineCustomer)
 * still load through tsx, registered only when the customers folder has one.
 */
import { createRequire } from "node:module";
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync, renameSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const OUT = join(ROOT, ".gen", "app");
const BUNDLE = join(OUT, "main.cjs");
const INPUTS = join(OUT, "inputs.json");

/** Each source file of the last build with its size and modification time. */
function stamp(file) {
  const s = statSync(file);
  return [s.size, s.mtimeMs];
}

function isFresh() {
  if (!existsSync(BUNDLE) || !existsSync(INPUTS)) return false;
  try {
    const { node, inputs } = JSON.parse(readFileSync(INPUTS, "utf8"));
    if (node !== process.version) return false;
    return Object.entries(inputs).every(([file, [size, mtime]]) => {
      const [s, m] = stamp(join(ROOT, file));
      return s === size && m === mtime;
    });
  } catch {
    return false;
  }
}

async function rebuild() {
  const { build } = await import("esbuild");
  // Concurrent synths may rebuild together: each writes its own files, then renames (atomic).
  const tmp = `${BUNDLE}.${process.pid}.tmp`;
  // __dirname must keep meaning the source file's folder (stacks/pipelines/bundle.ts, model/load.ts).
  const sourceDirs = {
    name: "source-dirs",
    setup(b) {
      b.onLoad({ filter: /\.ts$/ }, (args) => {
        if (args.path.includes(`${join("node_modules", "")}`)) return undefined;
        const text = readFileSync(args.path, "utf8")
          .replace(/\b__dirname\b/g, JSON.stringify(dirname(args.path)))
          .replace(/\b__filename\b/g, JSON.stringify(args.path));
        return { contents: text, loader: "ts" };
      });
    },
  };
  const result = await build({
    entryPoints: [join(ROOT, "main.ts")],
    outfile: tmp,
    bundle: true,
    platform: "node",
    format: "cjs",
    target: `node${process.versions.node.split(".")[0]}`,
    packages: "external",
    keepNames: true,
    metafile: true,
    logLevel: "error",
    plugins: [sourceDirs],
  });
  const inputs = Object.fromEntries(
    Object.keys(result.metafile.inputs)
      .filter((f) => !f.startsWith("node_modules/"))
      .map((f) => [f, stamp(join(ROOT, f))]),
  );
  renameSync(tmp, BUNDLE);
  writeFileSync(`${INPUTS}.${process.pid}.tmp`, JSON.stringify({ node: process.version, inputs }));
  renameSync(`${INPUTS}.${process.pid}.tmp`, INPUTS);
}

function hasTypeScriptCustomers() {
  const dir = resolve(process.env.AS2_CUSTOMERS_DIR ?? join(ROOT, "customers"));
  try {
    return readdirSync(dir).some((f) => f.endsWith(".ts"));
  } catch {
    return false;
  }
}

mkdirSync(OUT, { recursive: true });
if (!isFresh()) await rebuild();
if (hasTypeScriptCustomers()) {
  (await import("tsx/cjs/api")).register();
  (await import("tsx/esm/api")).register();
}
createRequire(import.meta.url)(BUNDLE);
