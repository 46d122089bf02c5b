/** What every API operation works with; built once per container from the synthesized environment. */
import type { S3Client } from "@aws-sdk/client-s3";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { s3Client } from "../shared/clients";
import { tableClient } from "../shared/ledger";
import { loadRouting } from "../shared/routing-loader";
import type { Routing } from "../../model/routing-types";
import { indexTableName } from "./index-writer";
import { parseClients, type ApiClient } from "./auth";

export interface ApiContext {
  readonly s3: S3Client;
  readonly ddb: DynamoDBClient;
  readonly bucket: string;
  readonly table: string;
  readonly routing: Routing;
  readonly clients: readonly ApiClient[];
  now(): Date;
}

let clients: { text: string | undefined; parsed: ApiClient[] } | undefined;

export async function apiContext(): Promise<ApiContext> {
  const s3 = s3Client();
  const routing = await loadRouting(s3);
  const text = process.env.API_CLIENTS;
  const parsed = clients && clients.text === text ? clients.parsed : parseClients(text);
  clients = { text, parsed };
  return {
    s3,
    ddb: tableClient(),
    bucket: routing.doc.bucket,
    table: indexTableName(),
    routing,
    clients: parsed,
    now: () => new Date(),
  };
}
