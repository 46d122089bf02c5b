/**
 * The API's DynamoDB document client. The send and receive handlers use the plain client (it keeps
 * their bundles within their SDK clients + 50 KB); the API reads whole index records and writes
 * the user's acts, where the document client's marshalling reads better. Built on the shared
 * table client, so resetting that one (tests, endpoints) resets this one too.
 */
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { tableClient } from "../shared/ledger";

let cached: { base: DynamoDBClient; doc: DynamoDBDocumentClient } | undefined;

export function ledgerClient(): DynamoDBDocumentClient {
  const base = tableClient();
  if (cached?.base !== base)
    cached = {
      base,
      doc: DynamoDBDocumentClient.from(base, { marshallOptions: { removeUndefinedValues: true } }),
    };
  return cached.doc;
}
