import {
  check,
  fmtBytes,
  fmtMs,
  markdownTable,
  README_BEGIN,
  README_END,
  renderMarkdown,
  replaceReadmeSection,
  type BenchResults,
} from "../../bench/lib/report";
import { marginalRatio, resourceCounts } from "../../bench/lib/synth-math";
import { parseGnuTimeRss, parseVmHwm, median } from "../../bench/lib/proc";
import { environmentsFromStack, isHandlerModule } from "../../bench/lib/handlers";

describe("bench report", () => {
  it("formats figures a person reads at a glance", () => {
    expect(fmtMs(1234)).toBe("1.23 s");
    expect(fmtMs(45.2)).toBe("45 ms");
    expect(fmtMs(-5)).toBe("-5.0 ms");
    expect(fmtBytes(590 * 1024)).toBe("590.0 KB");
    expect(fmtBytes(200 * 1024 ** 2)).toBe("200.0 MB");
    expect(fmtBytes(-2048)).toBe("-2.0 KB");
    expect(check(true)).toBe("holds");
    expect(check(false)).toBe("fails");
    expect(check(undefined)).toBe("n/a");
  });

  it("escapes pipes in Markdown cells", () => {
    const md = markdownTable({ title: "T", columns: ["a"], rows: [["x | y"]] });
    expect(md).toContain("| x \\| y |");
  });

  it("replaces only the text between the README markers", () => {
    const readme = `# P\n\nintro\n\n## Benchmarks\n\nhow to run\n\n${README_BEGIN}\nold table\n${README_END}\n\n## After\n\nkept\n`;
    const out = replaceReadmeSection(readme, "new table\n");
    expect(out).toBe(
      `# P\n\nintro\n\n## Benchmarks\n\nhow to run\n\n${README_BEGIN}\nnew table\n${README_END}\n\n## After\n\nkept\n`,
    );
    expect(replaceReadmeSection(out, "new table\n")).toBe(out);
  });

  it("appends a Benchmarks section when the README has none, and refuses half a pair of markers", () => {
    expect(replaceReadmeSection("# P\n", "t")).toBe(`# P\n\n## Benchmarks\n\n${README_BEGIN}\nt\n${README_END}\n`);
    expect(() => replaceReadmeSection(`# P\n${README_BEGIN}\n`, "t")).toThrow(/only one of the bench markers/);
  });

  it("renders every target with its verdict", () => {
    const r: BenchResults = {
      generatedAt: "2026-11-22T18:00:00Z",
      machine: { cpus: 2, cpuModel: "cpu", node: "v20", platform: "linux-x64" },
      durationMs: 1000,
      sections: [
        {
          name: "synth",
          durationMs: 1,
          data: null,
          tables: [],
          targets: [
            { id: "a", section: "synth", description: "wall", target: "< 3 s", measured: "1.2 s", verdict: "holds" },
            {
              id: "b",
              section: "synth",
              description: "rss",
              target: "< 400 MB",
              measured: "500 MB",
              verdict: "fails",
              note: "provider",
            },
          ],
        },
        { name: "move", durationMs: 1, data: null, tables: [], targets: [], error: "s3rver did not start" },
      ],
    };
    const md = renderMarkdown(r);
    expect(md).toContain("| synth | wall | < 3 s | 1.2 s | ✅ holds |");
    expect(md).toContain("| synth | rss | < 400 MB | 500 MB (provider) | ❌ fails |");
    expect(md).toContain("**move**: did not complete: s3rver did not start");
  });
});

describe("bench helpers", () => {
  it("counts resources and data sources per type", () => {
    expect(
      resourceCounts({
        resource: { aws_s3_bucket: { a: {}, b: {} }, aws_kms_key: { k: {} } },
        data: { aws_iam_policy_document: { d: {} } },
      }),
    ).toEqual({
      aws_s3_bucket: 2,
      aws_kms_key: 1,
      "data.aws_iam_policy_document": 1,
    });
    expect(resourceCounts({})).toEqual({});
  });

  it("computes the marginal ratio above the fixed cost, or nothing within noise", () => {
    expect(marginalRatio(1000, 1100, 2000)).toBeCloseTo(10);
    expect(marginalRatio(1000, 1050, 2000)).toBeUndefined();
  });

  it("parses peak RSS from time -v and /proc status", () => {
    expect(parseGnuTimeRss("\tMaximum resident set size (kbytes): 137564\n")).toBe(137564 * 1024);
    expect(parseVmHwm("Name:\tnode\nVmHWM:\t  2048 kB\nVmRSS:\t 1024 kB\n")).toBe(2048 * 1024);
    expect(parseGnuTimeRss("nothing")).toBeUndefined();
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
  });

  it("recognises Lambda entry modules", () => {
    expect(isHandlerModule("export async function handler(event) {}")).toBe(true);
    expect(isHandlerModule("export const handler = async () => {}")).toBe(true);
    expect(isHandlerModule("const h = 1; export { h as handler };")).toBe(true);
    expect(isHandlerModule("export function route() {}")).toBe(false);
  });

  it("maps each function's zip to its environment", () => {
    const tf = {
      resource: {
        aws_lambda_function: {
          a: { filename: "assets/send-settle/HASH/send-settle.zip", environment: { variables: { BUCKET: "b" } } },
          b: { filename: "assets/x/HASH/receive.zip" },
        },
      },
    };
    const m = environmentsFromStack(tf);
    expect(m.get("send-settle.zip")).toEqual({ BUCKET: "b" });
    expect(m.get("receive.zip")).toEqual({});
  });
});

describe("GNU time parsing", () => {
  it("adds user and system CPU time", () => {
    const { parseGnuTimeCpuMs } = jest.requireActual<typeof import("../../bench/lib/proc")>("../../bench/lib/proc");
    expect(parseGnuTimeCpuMs("\tUser time (seconds): 1.50\n\tSystem time (seconds): 0.25\n")).toBe(1750);
    expect(parseGnuTimeCpuMs("nothing")).toBeUndefined();
  });
});
