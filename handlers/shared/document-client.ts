/**
 * The DynamoDB document client, for code written against `@aws-sdk/lib-dynamodb` commands. Kept
 * apart from ledger.ts so that only the bundles that call it carry the package (16 KB).
 */
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { tableClient } from "./ledger";

let doc: { of: DynamoDBClient; client: DynamoDBDocumentClient } | undefined;

/** Shares the ledger's client (and follows it when tests reset it). */
export function ledgerClient(): DynamoDBDocumentClient {
  const raw = tableClient();
  if (doc?.of !== raw)
    doc = { of: raw, client: DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true } }) };
  return doc.client;
}
