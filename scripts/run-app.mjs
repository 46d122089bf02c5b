/**
 * Runs the CDKTF app (main.ts) the fast way: our TypeScript and the packages it uses (cdktf, the
 * provider classes, zod) compiled once by esbuild into one CommonJS file under .gen/app/, rebuilt
 * only when one of its source files or the lockfile changes. Loading through tsx transpiles ~100
 * files and runs Node's module hooks on every synth (about a second of a 1-partner synth); loading
 * the packages file by file cost another ~0.3 s of resolving and reading. esbuild and tsx stay
 * outside (esbuild runs its own binary; tsx registers itself).
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
  // cdktf loads archiver (and its stream libraries) at start-up for ARCHIVE assets, which the
  // gateway never creates (its bundles are zipped by stacks/pipelines/bundle.ts): load it on first use.
  const lazyArchiver = {
    name: "lazy-archiver",
    setup(b) {
      b.onResolve({ filter: /^archiver$/ }, (args) =>
        args.namespace === "lazy-archiver"
          ? { path: "archiver", external: true }
          : { path: "archiver", namespace: "lazy-archiver" },
      );
      b.onLoad({ filter: /.*/, namespace: "lazy-archiver" }, () => ({
        contents: 'module.exports = function archiver(...args) { return require("archiver")(...args); };',
        loader: "js",
      }));
    },
  };
  // cdktf writes cdk.tf.json with json-stable-stringify; stacks/platform/stable-json.ts writes the
  // same text through V8's JSON.stringify (tested against the library), in a fraction of the time.
  const stableJson = {
    name: "stable-json",
    setup(b) {
      b.onResolve({ filter: /^json-stable-stringify$/ }, () => ({ path: "stable-json", namespace: "stable-json" }));
      b.onLoad({ filter: /.*/, namespace: "stable-json" }, () => ({
        contents: 'module.exports = require("./stacks/platform/stable-json.ts").stableStringify;',
        resolveDir: ROOT,
        loader: "js",
      }));
    },
  };
  const result = await build({
    entryPoints: [join(ROOT, "main.ts")],
    outfile: tmp,
    bundle: true,
    platform: "node",
    format: "cjs",
    target: `node${process.versions.node.split(".")[0]}`,
    external: ["esbuild", "tsx", "tsx/*"],
    keepNames: false,
    metafile: true,
    logLevel: "error",
    plugins: [sourceDirs, lazyArchiver, stableJson],
  });
  // Packages are bundled too: the lockfile stands for them (npm ci rewrites it or node_modules together).
  const inputs = Object.fromEntries(
    [...Object.keys(result.metafile.inputs), "package-lock.json"]
      .filter((f) => !f.startsWith("node_modules/") && !f.includes(":") && existsSync(join(ROOT, f)))
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
