/**
 * The on-disk bundle cache: an unchanged handler is never rebuilt, a changed source, a new file
 * beside a source or a disabled cache rebuilds, and the zip is byte-identical either way.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { tmpdir } from "node:os";

const ROOT = resolve(__dirname, "..", "..", "..");

type Bundle = typeof import("../../../stacks/pipelines/bundle");

/** A fresh module registry, as a new synth process has: only the disk cache survives. */
function freshBundler(): { bundleHandler: Bundle["bundleHandler"]; builds: () => number } {
  let count = 0;
  let mod: Bundle | undefined;
  jest.isolateModules(() => {
    const esbuild = jest.requireActual<typeof import("esbuild")>("esbuild");
    jest.doMock("esbuild", () => ({
      ...esbuild,
      buildSync: (o: import("esbuild").BuildOptions) => {
        count++;
        return esbuild.buildSync(o);
      },
    }));
    mod = require("../../../stacks/pipelines/bundle") as Bundle;
  });
  return { bundleHandler: mod!.bundleHandler, builds: () => count };
}

describe("bundleHandler's cache", () => {
  let src: string;
  let out: string;
  let entry: string;
  const saved = process.env.AS2_BUNDLE_CACHE;

  beforeEach(() => {
    // Sources must live under the repository root (esbuild's working directory); .gen/ is git-ignored.
    mkdirSync(join(ROOT, ".gen"), { recursive: true });
    src = mkdtempSync(join(ROOT, ".gen", "bundle-test-"));
    out = mkdtempSync(join(tmpdir(), "bundles-"));
    writeFileSync(join(src, "dep.ts"), `export const greeting = "hello";\n`);
    writeFileSync(join(src, "entry.ts"), `import { greeting } from "./dep";\nexport const handler = () => greeting;\n`);
    entry = relative(ROOT, join(src, "entry.ts"));
    delete process.env.AS2_BUNDLE_CACHE;
  });

  afterEach(() => {
    rmSync(src, { recursive: true, force: true });
    rmSync(out, { recursive: true, force: true });
    if (saved === undefined) delete process.env.AS2_BUNDLE_CACHE;
    else process.env.AS2_BUNDLE_CACHE = saved;
  });

  it("reuses an unchanged bundle across processes without running esbuild, with the same bytes", () => {
    const first = freshBundler();
    const a = first.bundleHandler(entry, out);
    expect(first.builds()).toBe(1);
    expect(a.cached).toBe(false);
    const zipA = readFileSync(a.zipPath);

    const second = freshBundler();
    const b = second.bundleHandler(entry, out);
    expect(second.builds()).toBe(0);
    expect(b.cached).toBe(true);
    expect(b.sha256).toBe(a.sha256);
    expect(b.bytes).toBe(a.bytes);
    expect(Object.keys(b.metafile.inputs)).toEqual(Object.keys(a.metafile.inputs));
    expect(readFileSync(b.zipPath).equals(zipA)).toBe(true);
  });

  it("rebuilds when a source the bundle read changes", () => {
    const a = freshBundler().bundleHandler(entry, out);
    writeFileSync(join(src, "dep.ts"), `export const greeting = "bonjour";\n`);
    const again = freshBundler();
    const b = again.bundleHandler(entry, out);
    expect(again.builds()).toBe(1);
    expect(b.sha256).not.toBe(a.sha256);
  });

  it("rebuilds when a new file appears beside a source (it may change how an import resolves)", () => {
    freshBundler().bundleHandler(entry, out);
    writeFileSync(join(src, "dep.js"), `exports.greeting = "shadow";\n`);
    const again = freshBundler();
    again.bundleHandler(entry, out);
    expect(again.builds()).toBe(1);
  });

  it("rebuilds when the zip on disk was altered", () => {
    const a = freshBundler().bundleHandler(entry, out);
    writeFileSync(a.zipPath, "not the zip");
    const again = freshBundler();
    const b = again.bundleHandler(entry, out);
    expect(again.builds()).toBe(1);
    expect(b.sha256).toBe(a.sha256);
    expect(readFileSync(b.zipPath).equals(readFileSync(a.zipPath))).toBe(true);
  });

  it("AS2_BUNDLE_CACHE=0 always builds", () => {
    freshBundler().bundleHandler(entry, out);
    process.env.AS2_BUNDLE_CACHE = "0";
    const again = freshBundler();
    again.bundleHandler(entry, out);
    expect(again.builds()).toBe(1);
  });
});
