/** A way of moving one message, measured by the message benchmark. */
import type { BenchServers } from "./servers";

export const BUCKET = "bench-bucket";

/** Runs `fn` over `items`, `concurrency` at a time. */
export async function pool<T>(items: readonly T[], concurrency: number, fn: (t: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

export interface MoveContext {
  readonly servers: BenchServers;
  readonly bucket: string;
  readonly root: string;
}

export interface Scenario {
  readonly id: string;
  readonly label: string;
  /** Gateway scenarios are held to the targets; baselines are shown beside them. */
  readonly kind: "gateway" | "baseline";
  /** Counts towards the "≤ 6 requests from upload to outbox/" target. */
  readonly fullSend?: boolean;
  /** The Lambda memory the stack gives its handlers (for the cost per message). */
  readonly memoryMb?: number;
  /** Why it cannot run yet (the handlers it drives have not landed), or undefined. */
  unavailable(root: string): string | undefined;
  /** Once per run: buckets, tables, routing document. */
  setup?(ctx: MoveContext): Promise<void>;
  /**
   * Puts a payload where the flow starts, without counting: an upload under AS2/send/ for sends,
   * Transfer's processed/ folder for receipts. Returns a handle for `move`.
   */
  place(ctx: MoveContext, fileName: string, size: number): Promise<unknown>;
  /**
   * Moves them the way the scenario does, `concurrency` invocations at a time (every S3 and
   * DynamoDB request it makes is counted).
   */
  moveAll(ctx: MoveContext, placed: readonly unknown[], concurrency: number): Promise<void>;
  /** Where it must be afterwards (checked without counting). */
  landedAt(ctx: MoveContext, placed: unknown): Promise<string | undefined>;
}
