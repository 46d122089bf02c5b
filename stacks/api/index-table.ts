/**
 * The message index table (REST API, issue 15): one item per message, keyed by its id, with the
 * GSIs of model/api/index-model.ts. A separate table from the state table: its items live as long
 * as the messages, and its write rate follows the API's reads, not the send pipeline's.
 * It is never the only copy of a fact: `npm run gateway -- reindex` rebuilds it from the bucket.
 *
 * TTL on `expiresAt` removes only the Idempotency-Key items of POST /v1/messages
 * (handlers/api/idempotency.ts): message items never carry the attribute, and TTL deletes only items
 * whose TTL attribute is a Number in the past (DynamoDB API reference, UpdateTimeToLive).
 */
import { Construct } from "constructs";
import { DynamodbTable } from "@cdktf/provider-aws/lib/dynamodb-table";
import { INDEX_GSIS, INDEX_TABLE_KEY, INDEX_TTL_ATTRIBUTE, messageIndexTableName } from "../../model/api/index-model";

export class MessageIndexTable extends Construct {
  readonly table: DynamodbTable;

  constructor(scope: Construct, id: string, props: { readonly customerName: string; readonly kmsKeyArn: string }) {
    super(scope, id);
    const gsis = Object.values(INDEX_GSIS);
    const attributes = [...new Set([INDEX_TABLE_KEY, ...gsis.flatMap((g) => [g.partitionKey, g.sortKey])])];
    this.table = new DynamodbTable(this, "table", {
      name: messageIndexTableName(props.customerName),
      billingMode: "PAY_PER_REQUEST",
      hashKey: INDEX_TABLE_KEY,
      attribute: attributes.map((name) => ({ name, type: "S" })),
      globalSecondaryIndex: gsis.map((g) => ({
        name: g.name,
        hashKey: g.partitionKey,
        rangeKey: g.sortKey,
        projectionType: "ALL",
      })),
      ttl: { attributeName: INDEX_TTL_ATTRIBUTE, enabled: true },
      pointInTimeRecovery: { enabled: true },
      serverSideEncryption: { enabled: true, kmsKeyArn: props.kmsKeyArn },
      deletionProtectionEnabled: true,
    });
  }
}
