/**
 * stacks/platform/stable-json.ts stands in for json-stable-stringify in the compiled app
 * (scripts/run-app.mjs): it must write the library's text exactly, on the gateway's own documents
 * and on any JSON value.
 */
import fc from "fast-check";
import { App } from "cdktf";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stableStringify } from "../../../stacks/platform/stable-json";
import { CustomerStack } from "../../../stacks/customer-stack";
import { stackName } from "../../../model/customer";
import { customerWithPartners, EXAMPLE_DIR } from "../../helpers/customer-factory";
import { customerFrom } from "../helpers";

// The copy cdktf itself loads (its own dependency, pinned with cdktf).
const library = require(require.resolve("json-stable-stringify", { paths: [require.resolve("cdktf")] })) as (
  value: unknown,
  opts?: { space?: number | string },
) => string | undefined;

function synthesizedFiles(input: Parameters<typeof customerFrom>[0]): { tf: string; manifest: string } {
  const { customer, file } = customerFrom(input);
  const outdir = mkdtempSync(join(tmpdir(), "as2-stable-json-"));
  try {
    const app = new App({ outdir });
    new CustomerStack(app, { loaded: { file, customer, dir: EXAMPLE_DIR } });
    app.synth();
    return {
      tf: readFileSync(join(outdir, "stacks", stackName(customer.name), "cdk.tf.json"), "utf8"),
      manifest: readFileSync(join(outdir, "manifest.json"), "utf8"),
    };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

describe("stable JSON (json-stable-stringify's text through JSON.stringify)", () => {
  it("writes cdk.tf.json and manifest.json exactly as cdktf wrote them", () => {
    const example = JSON.parse(readFileSync(join(EXAMPLE_DIR, "example.json"), "utf8")) as Parameters<
      typeof customerFrom
    >[0];
    for (const input of [example, customerWithPartners(30, "stable")]) {
      const { tf, manifest } = synthesizedFiles(input);
      expect(tf.length).toBeGreaterThan(10_000);
      expect(stableStringify(JSON.parse(tf), { space: 2 })).toBe(tf);
      expect(stableStringify(JSON.parse(manifest), { space: 2 })).toBe(manifest);
    }
  });

  it("agrees with the library on empty containers at every depth, left-out values and toJSON", () => {
    const cases: unknown[] = [
      {},
      [],
      { a: {}, b: [], c: [{}, [], [[]]], d: { e: { f: [] } } },
      { b: 1, a: [1, undefined, () => 1], c: undefined, d: () => 2 },
      { when: new Date(0), custom: { toJSON: () => ({ q: 1, p: {} }) } },
      { "10": 1, "9": 2, b: 3, a: { "0": [] } },
      { nul: "a\u0000b", "\u0000[1": "x" },
      "text",
      42,
      null,
      undefined,
    ];
    for (const c of cases)
      for (const space of [2, "\t", 0]) expect(stableStringify(c, { space })).toBe(library(c, { space }));
  });

  it("agrees with the library on any JSON value", () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.constantFrom(2, 0, "  "), (value, space) => {
        expect(stableStringify(value, { space })).toBe(library(value, { space }));
      }),
      { numRuns: 300 },
    );
  });

  it("agrees on objects whose keys look like array indexes or hold odd characters", () => {
    const key = fc.oneof(fc.string(), fc.nat().map(String), fc.constantFrom("__proto__", "constructor", "4294967295"));
    fc.assert(
      fc.property(fc.dictionary(key, fc.jsonValue({ maxDepth: 2 })), (value) => {
        expect(stableStringify(value, { space: 2 })).toBe(library(value, { space: 2 }));
      }),
      { numRuns: 300 },
    );
  });

  it("refuses options it does not implement", () => {
    expect(() => stableStringify({}, { space: 2, cycles: true } as { space: number })).toThrow(/cycles/);
  });
});
