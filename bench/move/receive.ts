/**
 * The real receive handler, from the file Transfer stored in the agreement's base directory
 * (`<base>/processed/…`) to the customer's inbox, driven as Lambda drives it: the bench plays
 * Transfer (stores the payload, uncounted) and delivers its "AS2 Payload Receive Completed" event
 * to the handler through the receive queue, in SQS batches of 10. Shares the send scenario's
 * table, routing document and environment (`prepareGateway`).
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import { folderPrefix, transferInboundKey } from "../../model/layout";
import type { RoutingPartner } from "../../model/routing";
import { putPayload } from "./payload";
import type { Scenario } from "./scenario";
import { inBatches, prepareGateway, type SqsHandler } from "./send";

const ENTRY = "handlers/receive/handler.ts";
const ROUTE = { station: "ST-A", partner: "P0002" };

interface Placed {
  readonly key: string;
  readonly fileName: string;
  readonly messageId: string;
}

let seq = 0;

/** Transfer's event for a received payload (fields as in the AWS documentation's sample). */
export function payloadReceived(bucket: string, p: RoutingPartner, placed: Placed) {
  const now = new Date().toISOString();
  return {
    version: "0",
    id: `rx-${++seq}`,
    "detail-type": "AS2 Payload Receive Completed",
    source: "aws.transfer",
    account: "111122223333",
    time: now,
    region: "eu-west-1",
    resources: [`arn:aws:transfer:eu-west-1:111122223333:server/s-bench`],
    detail: {
      "s3-attributes": { "file-bucket": bucket, "file-key": `/${placed.key}` },
      "server-id": "s-bench",
      "agreement-id": p.agreementId,
      "as2-from": p.partner,
      "as2-to": p.station,
      "as2-message-id": placed.messageId,
      "requester-file-name": placed.fileName,
      "message-subject": "bench",
      "client-ip": "203.0.113.10",
      "start-timestamp": now,
      "end-timestamp": now,
      "status-code": "COMPLETED",
      bytes: 0,
    },
  };
}

export function receiveScenario(): Scenario {
  let handler: SqsHandler;
  let partner: RoutingPartner;
  return {
    id: "receive",
    label: "receive handler (real)",
    kind: "gateway",
    memoryMb: 512,
    unavailable: (root) => (existsSync(join(root, ENTRY)) ? undefined : `${ENTRY} not on main yet`),
    async setup(ctx) {
      const { doc } = await prepareGateway(ctx);
      const p = doc.partners.find((x) => x.station === ROUTE.station && x.partner === ROUTE.partner);
      if (!p) throw new Error(`no partner ${ROUTE.station}/${ROUTE.partner} in the bench customer`);
      partner = p;
      handler = ((await import(join(ctx.root, ENTRY))) as { handler: SqsHandler }).handler;
    },
    async place(ctx, fileName, size) {
      const messageId = `bench-rx-${++seq}@${ROUTE.partner.toLowerCase()}`;
      const key = transferInboundKey(partner.inboundPrefix, "processed", fileName, messageId);
      await putPayload(ctx.servers.direct, ctx.bucket, key, size);
      return { key, fileName, messageId } satisfies Placed;
    },
    async moveAll(ctx, placed, concurrency) {
      const events = (placed as Placed[]).map((p) => payloadReceived(ctx.bucket, partner, p));
      await inBatches(events, concurrency, handler, "receive");
    },
    async landedAt(ctx, placed) {
      const p = placed as Placed;
      const prefix = folderPrefix("mftgateway", { ...ROUTE, test: false }, "inbox");
      const r = await ctx.servers.direct.send(new ListObjectsV2Command({ Bucket: ctx.bucket, Prefix: prefix }));
      const stem = p.fileName.replace(/\.[^.]*$/, "");
      return (r.Contents ?? []).map((o) => o.Key!).find((k) => k.slice(prefix.length).includes(stem));
    },
  };
}
