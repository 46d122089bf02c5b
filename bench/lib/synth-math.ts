/** Small pure helpers for the synth benchmark. */

/** Terraform JSON → count per resource and data source type (`data.aws_x` for data sources). */
export function resourceCounts(tf: unknown): Record<string, number> {
  const out: Record<string, number> = {};
  const add = (block: unknown, prefix: string) => {
    if (!block || typeof block !== "object") return;
    for (const [type, byName] of Object.entries(block as Record<string, unknown>)) {
      if (byName && typeof byName === "object")
        out[prefix + type] = (out[prefix + type] ?? 0) + Object.keys(byName).length;
    }
  };
  const doc = (tf ?? {}) as { resource?: unknown; data?: unknown };
  add(doc.resource, "");
  add(doc.data, "data.");
  return out;
}

/**
 * How much more the large size costs than the middle one, above the fixed cost of the smallest
 * (start-up, loading modules): (hi − lo) / (mid − lo). Undefined when the middle size is within
 * `noiseMs` of the smallest, where the ratio would only measure noise.
 */
export function marginalRatio(lo: number, mid: number, hi: number, noiseMs = 100): number | undefined {
  if (mid - lo < noiseMs) return undefined;
  return (hi - lo) / (mid - lo);
}
