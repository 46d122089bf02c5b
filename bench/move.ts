import type { SectionResult } from "./lib/report";
export async function benchMove(_o: { root: string; tmp: string; quick: boolean; log: (s: string) => void }): Promise<SectionResult> {
  return {
    name: "move",
    durationMs: 0,
    tables: [],
    targets: [{ id: "move", section: "move", description: "S3 requests and bytes per routed message", target: "≤ 6 requests, 0 payload bytes", measured: "harness not built yet", verdict: "n/a" }],
    data: null,
  };
}
