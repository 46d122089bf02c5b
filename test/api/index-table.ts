/** The message index table on dynalite, declared from the same GSI list as the stack. */
import { CreateTableCommand, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { INDEX_GSIS, INDEX_TABLE_KEY } from "../../model/api/index-model";

/** Returns the client to read and write it with (the handlers' own: plain attribute values). */
export async function createIndexTable(ddb: DynamoDBClient, name: string): Promise<DynamoDBClient> {
  const gsis = Object.values(INDEX_GSIS);
  const attrs = [...new Set([INDEX_TABLE_KEY, ...gsis.flatMap((g) => [g.partitionKey, g.sortKey])])];
  await ddb.send(
    new CreateTableCommand({
      TableName: name,
      BillingMode: "PAY_PER_REQUEST",
      AttributeDefinitions: attrs.map((a) => ({ AttributeName: a, AttributeType: "S" })),
      KeySchema: [{ AttributeName: INDEX_TABLE_KEY, KeyType: "HASH" }],
      GlobalSecondaryIndexes: gsis.map((g) => ({
        IndexName: g.name,
        KeySchema: [
          { AttributeName: g.partitionKey, KeyType: "HASH" },
          { AttributeName: g.sortKey, KeyType: "RANGE" },
        ],
        Projection: { ProjectionType: "ALL" },
      })),
    }),
  );
  return ddb;
}
