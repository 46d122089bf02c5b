/**
 * Two reference movers from the send prefix to `outbox/`: the naive get-then-put script, and the
 * gateway's own move primitive (`safeMove`: head, conditional server-side copy, verify, conditional
 * delete) on its own, so the full pipelines can be read against both.
 */
import { outboxKey, sendKey } from "../../model/layout";
import { headObject, safeMove, type ObjectInfo } from "../../handlers/shared/s3-object";
import { naiveMove } from "./naive-mover";
import { putPayload } from "./payload";
import { pool, type MoveContext, type Scenario } from "./scenario";

const ROUTE = { station: "ST-A", partner: "P0002", test: false };

interface Placed {
  readonly from: string;
  readonly to: string;
}

async function place(ctx: MoveContext, fileName: string, size: number): Promise<Placed> {
  const from = sendKey(ROUTE, fileName);
  await putPayload(ctx.servers.direct, ctx.bucket, from, size);
  return { from, to: outboxKey("mftgateway", { route: ROUTE, fileName, at: new Date(), seed: fileName }) };
}

async function landedAt(ctx: MoveContext, placed: unknown): Promise<string | undefined> {
  const { to } = placed as Placed;
  return (await headObject(ctx.servers.direct, ctx.bucket, to)) ? to : undefined;
}

export function naiveScenario(): Scenario {
  let s3: ReturnType<MoveContext["servers"]["counted"]> | undefined;
  return {
    id: "naive",
    label: "naive get-then-put mover (baseline)",
    kind: "baseline",
    unavailable: () => undefined,
    place,
    async moveAll(ctx, placed, concurrency) {
      const client = (s3 ??= ctx.servers.counted());
      await pool(placed as Placed[], concurrency, ({ from, to }) => naiveMove(client, ctx.bucket, from, to));
    },
    landedAt,
  };
}

export function safeMoveScenario(): Scenario {
  let s3: ReturnType<MoveContext["servers"]["counted"]> | undefined;
  return {
    id: "safe-move",
    label: "gateway move primitive alone (handlers/shared safeMove)",
    kind: "gateway",
    unavailable: () => undefined,
    place,
    async moveAll(ctx, placed, concurrency) {
      const client = (s3 ??= ctx.servers.counted());
      // The ETag comes from the event in the real flow: reading it is not the primitive's cost.
      const sources = new Map<Placed, ObjectInfo>();
      for (const p of placed as Placed[]) sources.set(p, (await headObject(ctx.servers.direct, ctx.bucket, p.from))!);
      await pool(placed as Placed[], concurrency, async (p) => {
        await safeMove(client, ctx.bucket, sources.get(p)!, p.to);
      });
    },
    landedAt,
  };
}
