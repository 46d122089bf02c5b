import { ownerOf, summarizeProfile, type CpuProfile } from "../../bench/lib/cpu-profile";

const ROOT = "/repo";

describe("CPU profile summary", () => {
  it("names who owns a frame: our file, a package, the runtime", () => {
    expect(ownerOf("file:///repo/stacks/trading-partners.ts", "TradingPartner", ROOT)).toBe(
      "stacks/trading-partners.ts",
    );
    expect(ownerOf("/repo/node_modules/cdktf/lib/tokens/private/resolve.js", "resolve", ROOT)).toBe("cdktf");
    expect(ownerOf("file:///repo/node_modules/@cdktf/provider-aws/lib/s3-bucket/index.js", "x", ROOT)).toBe(
      "@cdktf/provider-aws",
    );
    expect(ownerOf("node:internal/modules/cjs/loader", "wrapSafe", ROOT)).toBe("node:internal");
    expect(ownerOf("", "(garbage collector)", ROOT)).toBe("(gc)");
  });

  it("charges self time to the leaf and inclusive time once per own function on the stack", () => {
    // main → TradingPartners → TradingPartner → (recursion) TradingPartner → cdktf resolve
    const f = (id: number, url: string, fn: string, children: number[] = []) => ({
      id,
      callFrame: { url, functionName: fn },
      children,
    });
    const p: CpuProfile = {
      nodes: [
        f(1, "", "(root)", [2]),
        f(2, "file:///repo/main.ts", "main", [3, 6]),
        f(3, "file:///repo/stacks/trading-partners.ts", "TradingPartners", [4]),
        f(4, "file:///repo/stacks/trading-partners.ts", "TradingPartner", [5]),
        f(5, "file:///repo/stacks/trading-partners.ts", "TradingPartner", [7]),
        f(6, "", "(garbage collector)"),
        f(7, "file:///repo/node_modules/cdktf/lib/x.js", "resolve"),
      ],
      samples: [7, 7, 6, 2],
      timeDeltas: [1000, 2000, 500, 500],
    };
    const s = summarizeProfile(p, ROOT);
    expect(s.totalMs).toBe(4);
    expect(s.selfByOwner).toEqual([
      { owner: "cdktf", ms: 3 },
      { owner: "(gc)", ms: 0.5 },
      { owner: "main.ts", ms: 0.5 },
    ]);
    expect(s.inclusiveOwn).toEqual([
      { frame: "main.ts main", ms: 4 },
      { frame: "stacks/trading-partners.ts TradingPartner", ms: 3 },
      { frame: "stacks/trading-partners.ts TradingPartners", ms: 3 },
    ]);
  });
});
