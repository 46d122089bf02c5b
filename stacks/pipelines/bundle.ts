/**
 * Bundles a handler with esbuild into a deterministic zip: same source, same bytes, so
 * `source_code_hash` only changes when the code does (fixed timestamps, sorted entries).
 *
 * Bundling is most of a small synth's time, so each bundle is cached on disk (`.gen/bundles/`,
 * git-ignored) with a manifest of what went into it: the build options, esbuild's version, the
 * lockfile, and every project source file esbuild read (with the names in their folders, so a new
 * file that would change how an import resolves also counts). When all of them are unchanged the
 * zip is reused as it is; anything else rebuilds. `AS2_BUNDLE_CACHE=0` turns the cache off.
 */
import { buildSync, version as esbuildVersion, type BuildOptions, type Metafile } from "esbuild";
import { zipSync } from "fflate";
import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync, existsSync, readFileSync, readdirSync, renameSync, statSync } from "node:fs";
import { join, basename, resolve, dirname } from "node:path";

const ROOT = resolve(__dirname, "..", "..");
const ZIP_EPOCH = new Date("1980-01-01T00:00:00Z");
/** Bump when the manifest's meaning or the zip's layout changes. */
const CACHE_FORMAT = 2;

export interface BundleResult {
  /** Absolute path of the zip. */
  readonly zipPath: string;
  /** base64 SHA-256 of the zip, as Lambda reports `CodeSha256`. */
  readonly sha256: string;
  /** Size of the minified JavaScript. */
  readonly bytes: number;
  /** esbuild's metafile, for the bundle benchmark. */
  readonly metafile: Metafile;
  /** True when the zip came from the on-disk cache without running esbuild. */
  readonly cached: boolean;
}

interface Manifest {
  readonly key: string;
  /** Project source files esbuild read (relative to ROOT) → SHA-256 of their content. */
  readonly sources: Record<string, string>;
  /** Folders holding those sources → hash of their sorted entry names. */
  readonly folders: Record<string, string>;
  readonly sha256: string;
  readonly bytes: number;
}

const memo = new Map<string, BundleResult>();

/** Parallel synths and test workers share the cache: a reader sees the old file or the new one, never half. */
function writeAtomically(path: string, data: string | Uint8Array): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

function sha256Hex(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/**
 * Content hashes of files, kept while a file's size and modification time stay the same: every
 * handler's check reads the lockfile and the shared sources.
 */
const fileHashes = new Map<string, { readonly stamp: string; readonly hash: string }>();
function fileHash(abs: string): string | undefined {
  let st;
  try {
    st = statSync(abs);
  } catch {
    return undefined;
  }
  const stamp = `${st.size}:${st.mtimeMs}`;
  const known = fileHashes.get(abs);
  if (known?.stamp === stamp) return known.hash;
  const hash = sha256Hex(readFileSync(abs));
  fileHashes.set(abs, { stamp, hash });
  return hash;
}

function buildOptions(entry: string, outDir: string): BuildOptions & { write: false; metafile: true } {
  return {
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
  };
}

/** What every bundle depends on beside its own sources: options, bundler and dependency versions. */
function inputsKey(entry: string, options: BuildOptions): string {
  const lockHash = fileHash(join(ROOT, "package-lock.json")) ?? "no-lockfile";
  const portable = { ...options, entryPoints: [entry], outfile: basename(String(options.outfile)), absWorkingDir: "." };
  return sha256Hex(JSON.stringify({ CACHE_FORMAT, esbuildVersion, lockHash, portable }));
}

function folderHash(dir: string): string {
  return sha256Hex(readdirSync(join(ROOT, dir)).sort().join("\n"));
}

/** The project's own inputs (dependencies are covered by the lockfile). */
function projectSources(metafile: Metafile): string[] {
  return Object.keys(metafile.inputs)
    .filter((p) => !p.includes("node_modules/") && !p.startsWith("<"))
    .sort();
}

function readManifest(path: string): Manifest | undefined {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as Manifest;
  } catch {
    return undefined;
  }
}

function stillValid(m: Manifest, key: string, zipPath: string, metafilePath: string): boolean {
  if (m.key !== key || !existsSync(zipPath) || !existsSync(metafilePath)) return false;
  for (const [file, hash] of Object.entries(m.sources)) if (fileHash(join(ROOT, file)) !== hash) return false;
  for (const [dir, hash] of Object.entries(m.folders)) {
    if (!existsSync(join(ROOT, dir)) || folderHash(dir) !== hash) return false;
  }
  return sha256Hex(readFileSync(zipPath)) === Buffer.from(m.sha256, "base64").toString("hex");
}

/** `entry` is relative to the repository root, e.g. `handlers/send/settle.ts`. */
export function bundleHandler(entry: string, outRoot = join(ROOT, ".gen", "bundles")): BundleResult {
  const memoKey = `${entry}\n${outRoot}`;
  const hit = memo.get(memoKey);
  if (hit) return hit;
  const name = entry
    .replace(/^handlers\//, "")
    .replace(/\.ts$/, "")
    .replace(/[^A-Za-z0-9]+/g, "-");
  const outDir = join(outRoot, name);
  mkdirSync(outDir, { recursive: true });
  const zipPath = join(outDir, `${name}.zip`);
  const manifestPath = join(outDir, "manifest.json");
  // Apart from the manifest: only the bundle benchmark reads it, and it is most of the manifest's size.
  const metafilePath = join(outDir, "metafile.json");
  const options = buildOptions(entry, outDir);
  const key = inputsKey(entry, options);

  const useCache = process.env.AS2_BUNDLE_CACHE !== "0";
  const manifest = useCache ? readManifest(manifestPath) : undefined;
  if (manifest && stillValid(manifest, key, zipPath, metafilePath)) {
    let metafile: Metafile | undefined;
    const out: BundleResult = {
      zipPath,
      sha256: manifest.sha256,
      bytes: manifest.bytes,
      get metafile() {
        metafile ??= JSON.parse(readFileSync(metafilePath, "utf8")) as Metafile;
        return metafile;
      },
      cached: true,
    };
    memo.set(memoKey, out);
    return out;
  }

  const result = buildSync(options);
  const files: Record<string, [Uint8Array, { mtime: Date }]> = {};
  let bytes = 0;
  for (const f of [...result.outputFiles].sort((a, b) => a.path.localeCompare(b.path))) {
    files[basename(f.path)] = [f.contents, { mtime: ZIP_EPOCH }];
    if (f.path.endsWith(".js")) bytes = f.contents.length;
  }
  const zip = zipSync(files, { level: 9, mtime: ZIP_EPOCH });
  if (!existsSync(zipPath) || !readFileSync(zipPath).equals(Buffer.from(zip))) writeAtomically(zipPath, zip);
  const sha256 = createHash("sha256").update(zip).digest("base64");
  const sources = projectSources(result.metafile);
  const next: Manifest = {
    key,
    sources: Object.fromEntries(sources.map((f) => [f, sha256Hex(readFileSync(join(ROOT, f)))])),
    folders: Object.fromEntries([...new Set(sources.map((f) => dirname(f)))].map((d) => [d, folderHash(d)])),
    sha256,
    bytes,
  };
  if (useCache) {
    // The metafile first: a manifest on disk always has its metafile beside it.
    writeAtomically(metafilePath, JSON.stringify(result.metafile));
    writeAtomically(manifestPath, JSON.stringify(next));
  }
  const out = { zipPath, sha256, bytes, metafile: result.metafile, cached: false };
  memo.set(memoKey, out);
  return out;
}
