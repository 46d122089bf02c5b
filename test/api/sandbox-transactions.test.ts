/**
 * POST /v1/transactions in the sandbox: the real API bundle behind the local HTTP front enqueues on
 * the synthesized transaction queue; the real start and format bundles and the synthesized state
 * machine store the row on dynalite. The example customer's Globex has an X12 pipeline.
 */
import { DynamoDBClient, ScanCommand } from "@aws-sdk/client-dynamodb";
import { startExampleSandbox, type ExampleSandbox } from "../helpers/example-sandbox";
import { conforms } from "./harness";
import { SANDBOX_API_KEYS } from "../../sandbox/api/http-front";

const TABLE = "as2-example-transactions";
const KEY = SANDBOX_API_KEYS[0]!.key;
const PO = "ST*850*0042~BEG*00*SA*PO-42**20261201~PO1*1*10*EA*9.25**VP*WIDGET-1~CTT*1~SE*5*0042~";

let x: ExampleSandbox;
let ddb: DynamoDBClient;
beforeAll(async () => {
  x = await startExampleSandbox("api-transactions");
  const env = x.sb.clientEnv;
  ddb = new DynamoDBClient({
    region: x.sb.region,
    endpoint: env["AWS_ENDPOINT_URL_DYNAMODB"],
    credentials: { accessKeyId: env["AWS_ACCESS_KEY_ID"]!, secretAccessKey: env["AWS_SECRET_ACCESS_KEY"]! },
  });
}, 180_000);
afterAll(async () => {
  ddb?.destroy();
  await x?.sb.stop();
});

async function post(transactionId: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const path = "/v1/transactions";
  const r = await fetch(`${x.sb.api!.url}${path}?station=ACME-AS2&partner=GLOBEX`, {
    method: "POST",
    headers: { "x-api-key": KEY, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ transactionId, transactionMessage: PO }).toString(),
  });
  const body = (await r.json()) as Record<string, unknown>;
  conforms("POST", path, r.status, r.headers.get("content-type") ?? "", body);
  return { status: r.status, body };
}

async function rows(id: string) {
  const r = await ddb.send(
    new ScanCommand({
      TableName: TABLE,
      FilterExpression: "id = :id",
      ExpressionAttributeValues: { ":id": { S: id } },
      ConsistentRead: true,
    }),
  );
  return r.Items ?? [];
}

it("a POST becomes one processed row; the same POST again adds no row and no execution", async () => {
  const first = await post("42");
  expect(first.status).toBe(202);
  const id = String(first.body.id);
  expect(await x.sb.settle(60_000)).toBe(true);
  const stored = await rows(id);
  expect(stored.map((r) => [r["status"]?.S, r["type"]?.S, r["partnerKey"]?.S])).toEqual([
    ["PROCESSED", "850", "ACME-AS2/GLOBEX"],
  ]);
  const executions = x.sb.stepFunctions.executions().filter((e) => e.name === id);
  expect(executions.map((e) => e.status)).toEqual(["SUCCEEDED"]);

  const again = await post("42");
  expect(again).toEqual(first);
  expect(await x.sb.settle(60_000)).toBe(true);
  expect(await rows(id)).toHaveLength(1);
  expect(x.sb.stepFunctions.executions().filter((e) => e.name === id)).toHaveLength(1);
  expect(x.sb.deadLetters()).toEqual([]);
}, 240_000);
