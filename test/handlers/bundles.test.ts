/**
 * Structural checks on the deployed handler bundles (esbuild's metafile, not timings): no zod at
 * run time, and no AWS client a handler never calls. Sizes are checked by `npm run bench`.
 */
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { bundleHandler } from "../../stacks/pipelines/bundle";
import { discoverHandlerEntries } from "../../bench/lib/handlers";
import { auditClients, composition, packageOf, type MetafileLike } from "../../bench/lib/metafile";

const ROOT = resolve(__dirname, "..", "..");

/** Packages with code in the bundle that must not be there at run time. */
function forbiddenPackages(meta: MetafileLike): string[] {
  return composition(meta)
    .byPackage.map((p) => p.name)
    .filter((n) => n === "zod" || n.startsWith("zod/") || n === "cdktf" || n.startsWith("@cdktf/"))
    .sort();
}

/** Own modules that import zod (even if esbuild drops it, the handler side should not). */
function ownZodImporters(meta: MetafileLike): string[] {
  return Object.entries(meta.inputs)
    .filter(([p]) => packageOf(p) === undefined)
    .filter(([, i]) => i.imports.some((im) => packageOf(im.path) === "zod"))
    .map(([p]) => p)
    .sort();
}

const entries = discoverHandlerEntries(ROOT);

describe("handler bundles", () => {
  it("finds the handlers", () => {
    expect(entries).toEqual(expect.arrayContaining(["handlers/send/settle.ts", "handlers/receive/handler.ts"]));
  });

  describe.each(entries)("%s", (entry) => {
    const meta = bundleHandler(entry).metafile;
    it("carries no zod (the routing document is validated at synth)", () => {
      expect(forbiddenPackages(meta)).toEqual([]);
      expect(ownZodImporters(meta)).toEqual([]);
    });
    it("carries only the AWS clients it calls", () => {
      const audit = auditClients(composition(meta), (f) => readFileSync(join(ROOT, f), "utf8"));
      expect(audit.unused).toEqual([]);
    });
  });

  it("result and sweep leave the Transfer client out; settle keeps it", () => {
    const clients = (e: string) => composition(bundleHandler(e).metafile).clientsInBundle;
    expect(clients("handlers/send/result.ts")).not.toContain("transfer");
    expect(clients("handlers/send/sweep.ts")).not.toContain("transfer");
    expect(clients("handlers/send/settle.ts")).toContain("transfer");
  });

  it("the checks fail on a bundle that carries zod or an unused client", () => {
    const meta: MetafileLike = {
      inputs: {
        "handlers/x.ts": { bytes: 10, imports: [{ path: "node_modules/zod/v4/classic/index.js" }] },
        "node_modules/zod/v4/classic/index.js": { bytes: 100, imports: [] },
        "node_modules/@aws-sdk/client-transfer/dist-cjs/index.js": { bytes: 100, imports: [] },
      },
      outputs: {
        "index.js": {
          bytes: 210,
          inputs: {
            "handlers/x.ts": { bytesInOutput: 10 },
            "node_modules/zod/v4/classic/index.js": { bytesInOutput: 100 },
            "node_modules/@aws-sdk/client-transfer/dist-cjs/index.js": { bytesInOutput: 100 },
          },
        },
      },
    };
    expect(forbiddenPackages(meta)).toEqual(["zod"]);
    expect(ownZodImporters(meta)).toEqual(["handlers/x.ts"]);
    expect(
      auditClients(composition(meta), () => 'import { TransferClient } from "@aws-sdk/client-transfer";').unused,
    ).toEqual(["transfer"]);
  });
});
