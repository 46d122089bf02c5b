/** Transfer's AS2 events, with the documented field set (test/fixtures/aws-transfer, test/fixtures/README.md). */
import { randomUUID } from "node:crypto";
import type { TransferEventEnvelope } from "./types";

export type As2DetailType =
  | "AS2 Payload Receive Completed"
  | "AS2 Payload Receive Failed"
  | "AS2 Payload Send Completed"
  | "AS2 Payload Send Failed"
  | "AS2 MDN Receive Completed"
  | "AS2 MDN Receive Failed"
  | "AS2 MDN Send Completed"
  | "AS2 MDN Send Failed";

export interface EventContext {
  readonly account: string;
  readonly region: string;
}

/** Drops undefined fields: Transfer omits what it does not know. */
function compact(o: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) {
    if (v === undefined) continue;
    out[k] = v && typeof v === "object" && !Array.isArray(v) ? compact(v as Record<string, unknown>) : v;
  }
  return out;
}

export function transferEvent(
  ctx: EventContext,
  detailType: As2DetailType,
  resource: { kind: "connector" | "server"; id: string },
  detail: Record<string, unknown>,
): TransferEventEnvelope {
  return {
    version: "0",
    id: randomUUID(),
    "detail-type": detailType,
    source: "aws.transfer",
    account: ctx.account,
    time: new Date().toISOString().replace(/\.\d{3}Z$/, "Z"),
    region: ctx.region,
    resources: [`arn:aws:transfer:${ctx.region}:${ctx.account}:${resource.kind}/${resource.id}`],
    detail: compact(detail),
  };
}

/** Transfer's microsecond-style ISO timestamps. */
export function isoNow(): string {
  return new Date().toISOString();
}
