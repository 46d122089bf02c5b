/**
 * Bundles a handler with esbuild into a deterministic zip: same source, same bytes, so
 * `source_code_hash` only changes when the code does (fixed timestamps, sorted entries).
 */
import { buildSync } from "esbuild";
import { zipSync } from "fflate";
import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync, existsSync, readFileSync } from "node:fs";
import { join, basename, resolve } from "node:path";

const ROOT = resolve(__dirname, "..", "..");
const ZIP_EPOCH = new Date("1980-01-01T00:00:00Z");

export interface BundleResult {
  /** Absolute path of the zip. */
  readonly zipPath: string;
  /** base64 SHA-256 of the zip, as Lambda reports `CodeSha256`. */
  readonly sha256: string;
  /** Size of the minified JavaScript. */
  readonly bytes: number;
  /** esbuild's metafile, for the bundle benchmark. */
  readonly metafile: import("esbuild").Metafile;
}

const cache = new Map<string, BundleResult>();

/** `entry` is relative to the repository root, e.g. `handlers/send/settle.ts`. */
export function bundleHandler(entry: string, outRoot = join(ROOT, ".gen", "bundles")): BundleResult {
  const key = `${entry}\n${outRoot}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const name = entry
    .replace(/^handlers\//, "")
    .replace(/\.ts$/, "")
    .replace(/[^A-Za-z0-9]+/g, "-");
  const outDir = join(outRoot, name);
  mkdirSync(outDir, { recursive: true });
  const result = buildSync({
    entryPoints: [join(ROOT, entry)],
    bundle: true,
    minify: true,
    sourcemap: "external",
    sourcesContent: false,
    platform: "node",
    target: "node22",
    format: "cjs",
    outfile: join(outDir, "index.js"),
    metafile: true,
    legalComments: "none",
    // Paths in the source map are relative, so the bundle is the same on every machine.
    absWorkingDir: ROOT,
    write: false,
  });
  const files: Record<string, [Uint8Array, { mtime: Date }]> = {};
  let bytes = 0;
  for (const f of [...result.outputFiles].sort((a, b) => a.path.localeCompare(b.path))) {
    files[basename(f.path)] = [f.contents, { mtime: ZIP_EPOCH }];
    if (f.path.endsWith(".js")) bytes = f.contents.length;
  }
  const zip = zipSync(files, { level: 9, mtime: ZIP_EPOCH });
  const zipPath = join(outDir, `${name}.zip`);
  if (!existsSync(zipPath) || !readFileSync(zipPath).equals(Buffer.from(zip))) writeFileSync(zipPath, zip);
  const out = { zipPath, sha256: createHash("sha256").update(zip).digest("base64"), bytes, metafile: result.metafile };
  cache.set(key, out);
  return out;
}
