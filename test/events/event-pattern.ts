/**
 * A small EventBridge pattern matcher for tests (no local EventBridge exists): exact values listed
 * in arrays, nested objects, and `{ prefix }`. Enough for the patterns the stacks write; anything
 * else throws rather than guess.
 */
export function matchesPattern(pattern: Record<string, unknown>, event: unknown): boolean {
  if (!event || typeof event !== "object") return false;
  return Object.entries(pattern).every(([field, rule]) => {
    const value = (event as Record<string, unknown>)[field];
    if (Array.isArray(rule)) {
      const values = Array.isArray(value) ? value : [value];
      return rule.some((r) => values.some((v) => matchOne(r, v)));
    }
    if (rule && typeof rule === "object") return matchesPattern(rule as Record<string, unknown>, value);
    throw new Error(`unsupported pattern at ${field}: ${JSON.stringify(rule)}`);
  });
}

function matchOne(rule: unknown, value: unknown): boolean {
  if (rule === null || typeof rule !== "object") return rule === value;
  const ops = rule as Record<string, unknown>;
  if (typeof ops.prefix === "string" && Object.keys(ops).length === 1)
    return typeof value === "string" && value.startsWith(ops.prefix);
  throw new Error(`unsupported pattern operator ${JSON.stringify(rule)}`);
}
