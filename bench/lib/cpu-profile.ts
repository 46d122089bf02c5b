/**
 * Reads a V8 CPU profile (`node --cpu-prof`) and says where the time went: self time per package
 * (or our own file), and inclusive time per function of our own code, so a slow synth points at
 * the construct that costs it.
 */
import { packageOf } from "./metafile";

export interface CpuProfile {
  readonly nodes: readonly {
    readonly id: number;
    readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber?: number };
    readonly children?: readonly number[];
  }[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

export interface ProfileSummary {
  readonly totalMs: number;
  /** Self time per package, own file (`stacks/x.ts`) or runtime bucket (`(gc)`, `node:internal`). */
  readonly selfByOwner: readonly { readonly owner: string; readonly ms: number }[];
  /** Time with an own function on the stack (each counted once per sample), by `file function`. */
  readonly inclusiveOwn: readonly { readonly frame: string; readonly ms: number }[];
}

/** Relative own path for a URL under root, or undefined for everything else. */
function ownPath(url: string, root: string): string | undefined {
  const path = url.startsWith("file://") ? decodeURIComponent(new URL(url).pathname) : url;
  if (!path.startsWith(root + "/") || path.includes("/node_modules/")) return undefined;
  return path.slice(root.length + 1);
}

export function ownerOf(url: string, functionName: string, root: string): string {
  if (!url) {
    if (functionName === "(garbage collector)") return "(gc)";
    if (functionName === "(idle)" || functionName === "(program)" || functionName === "(root)")
      return `(${functionName.replace(/[()]/g, "")})`;
    return "(native)";
  }
  if (url.startsWith("node:")) return "node:internal";
  const own = ownPath(url, root);
  if (own !== undefined) return own;
  return packageOf(url.replace(/^file:\/\//, "")) ?? "(other)";
}

export function summarizeProfile(p: CpuProfile, root: string, top = 12): ProfileSummary {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<string, number>();
  const incl = new Map<string, number>();
  let total = 0;
  p.samples.forEach((id, i) => {
    const ms = (p.timeDeltas[i] ?? 0) / 1000;
    total += ms;
    const leaf = byId.get(id);
    if (!leaf) return;
    const owner = ownerOf(leaf.callFrame.url, leaf.callFrame.functionName, root);
    self.set(owner, (self.get(owner) ?? 0) + ms);
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const n = byId.get(cur)!;
      const own = ownPath(n.callFrame.url, root);
      if (own === undefined) continue;
      const frame = `${own} ${n.callFrame.functionName || "(anonymous)"}`;
      if (seen.has(frame)) continue;
      seen.add(frame);
      incl.set(frame, (incl.get(frame) ?? 0) + ms);
    }
  });
  const sorted = <K extends string>(m: Map<string, number>, key: K) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, ms]) => ({ [key]: k, ms }) as { [P in K]: string } & { ms: number });
  return { totalMs: total, selfByOwner: sorted(self, "owner"), inclusiveOwn: sorted(incl, "frame") };
}
