import { readFileSync } from "node:fs";
import { join } from "node:path";
import { all, synthCustomer, type Tf } from "../stacks/helpers";
import { customerInput, EXAMPLE_DIR, SAMPLE_CERT_PEM } from "../helpers/customer-factory";
import type { CustomerInput } from "../../model/customer";

const aslValidator = require("asl-validator") as (def: unknown) => {
  isValid: boolean;
  errorsText: (s?: string) => string;
};

const partner = (as2Id: string, extra: Record<string, unknown> = {}) => ({
  as2Id,
  station: "ACME",
  url: "https://partner.example/as2",
  certificates: { signing: { pem: SAMPLE_CERT_PEM } },
  ...extra,
});

function withPipelines(partners: ReturnType<typeof partner>[]): CustomerInput {
  return customerInput({ partners });
}

const ofType = (tf: Tf, type: string) => all(tf, type);

describe("transaction pipeline stack", () => {
  it("creates nothing for a customer without pipelines", () => {
    const { tf, findings } = synthCustomer(customerInput());
    expect(findings.errors).toEqual([]);
    expect(ofType(tf, "aws_sfn_state_machine")).toEqual([]);
    expect(ofType(tf, "aws_dynamodb_table").map((t) => t.name)).toEqual(["as2-acme-state"]);
  });

  it("the example customer (GLOBEX on X12) synthesizes with zero guard-rail findings", () => {
    const example = JSON.parse(readFileSync(join(EXAMPLE_DIR, "example.json"), "utf8")) as CustomerInput;
    const { tf, findings } = synthCustomer(example);
    expect(findings.errors).toEqual([]);
    const [sm] = ofType(tf, "aws_sfn_state_machine");
    expect(sm.type).toBe("STANDARD");
    expect(sm.tracing_configuration).toEqual({ enabled: true });
    expect(sm.logging_configuration).toMatchObject({ level: "ALL", include_execution_data: false });
    const definition = JSON.parse(sm.definition);
    expect(aslValidator(definition).errorsText()).toBe("");
    expect(Object.keys(definition.States)).not.toContain("Enrich?");
    const [dashboard] = ofType(tf, "aws_cloudwatch_dashboard");
    const widgets = JSON.parse(dashboard.dashboard_body).widgets as {
      properties: { title: string; metrics: unknown[] };
    }[];
    expect(widgets.slice(0, 3).map((w) => [w.properties.title, w.properties.metrics])).toEqual([
      [
        "Transactions received per partner",
        [["as2-transfer-gateway/example", "TransactionsReceived", "Partner", "GLOBEX"]],
      ],
      [
        "Transactions processed per partner",
        [["as2-transfer-gateway/example", "TransactionsProcessed", "Partner", "GLOBEX"]],
      ],
      [
        "Transactions failed per partner",
        [["as2-transfer-gateway/example", "TransactionsFailed", "Partner", "GLOBEX"]],
      ],
    ]);
    const received = ofType(tf, "aws_cloudwatch_log_metric_filter").find(
      (f) => f.metric_transformation.name === "TransactionsReceived",
    );
    expect(received.metric_transformation).toMatchObject({
      value: "$.transactions",
      dimensions: { Partner: "$.partner" },
    });
  });

  it("a table per distinct table name: on demand, KMS, point-in-time recovery, index by partner and time", () => {
    const { tf, findings } = synthCustomer(
      withPipelines([
        partner("A", { pipeline: { format: "x12" } }),
        partner("B", { pipeline: { format: "csv", table: "rows" } }),
        partner("C", { pipeline: { format: "jsonl" } }),
      ]),
    );
    expect(findings.errors).toEqual([]);
    const tables = ofType(tf, "aws_dynamodb_table").filter((t) => t.name !== "as2-acme-state");
    expect(tables.map((t) => t.name).sort()).toEqual(["as2-acme-rows", "as2-acme-transactions"]);
    for (const t of tables) {
      expect(t).toMatchObject({
        billing_mode: "PAY_PER_REQUEST",
        hash_key: "id",
        point_in_time_recovery: { enabled: true },
        server_side_encryption: { enabled: true },
        global_secondary_index: [{ name: "by-partner", hash_key: "partnerKey", range_key: "receivedAt" }],
      });
    }
  });

  it("every queue has a dead-letter queue with an alarm; functions are bundled and SQS-driven with batch failures", () => {
    const { tf } = synthCustomer(withPipelines([partner("A", { pipeline: { format: "x12" } })]));
    const queues = ofType(tf, "aws_sqs_queue").filter((q) => String(q.name).includes("-transactions"));
    const [main, dead] = [queues.filter((q) => q.redrive_policy), queues.filter((q) => !q.redrive_policy)];
    expect(main.map((q) => q.name).sort()).toEqual(["as2-acme-transactions", "as2-acme-transactions-split"]);
    expect(dead.map((q) => q.name).sort()).toEqual(["as2-acme-transactions-dlq", "as2-acme-transactions-split-dlq"]);
    const alarms = ofType(tf, "aws_cloudwatch_metric_alarm").map((a) => a.dimensions?.QueueName);
    for (const d of dead) expect(alarms).toContain(d.name);
    const mappings = ofType(tf, "aws_lambda_event_source_mapping").filter((m) =>
      String(m.event_source_arn).includes("transactions"),
    );
    expect(mappings).toHaveLength(2);
    for (const m of mappings) expect(m.function_response_types).toEqual(["ReportBatchItemFailures"]);
  });

  it("an enrichment endpoint: an EventBridge connection with a sensitive variable, an HTTP task and scoped IAM", () => {
    const { tf, findings } = synthCustomer(
      withPipelines([
        partner("A", { pipeline: { format: "x12", enrich: { url: "https://enrich.example/v1/orders" } } }),
        partner("B", { pipeline: { format: "csv" } }),
      ]),
    );
    expect(findings.errors).toEqual([]);
    const [connection] = ofType(tf, "aws_cloudwatch_event_connection");
    expect(connection.authorization_type).toBe("API_KEY");
    expect(connection.auth_parameters.api_key.key).toBe("x-api-key");
    expect(connection.auth_parameters.api_key.value).toMatch(/^\$\{var\./);
    expect(Object.values(tf.variable ?? {}).some((v: any) => v.sensitive === true)).toBe(true);
    const definition = JSON.parse(ofType(tf, "aws_sfn_state_machine")[0].definition);
    expect(aslValidator(definition).errorsText()).toBe("");
    expect(definition.States["Enrich?"].Choices).toEqual([
      { Variable: "$.partnerKey", StringEquals: "ACME/A", Next: "Enrich 1" },
    ]);
    expect(definition.States["Enrich 1"]).toMatchObject({
      Resource: "arn:aws:states:::http:invoke",
      Parameters: { ApiEndpoint: "https://enrich.example/v1/orders", Method: "POST" },
    });
    const policy = JSON.parse(
      ofType(tf, "aws_iam_role_policy").find((p) => String(p.role).includes("workflow-role")).policy,
    ) as { Statement: { Sid: string; Action: string[]; Condition?: unknown }[] };
    const enrich = policy.Statement.find((s) => s.Sid === "Enrich")!;
    expect(enrich.Action).toEqual(["states:InvokeHTTPEndpoint"]);
    expect(enrich.Condition).toEqual({
      StringEquals: { "states:HTTPMethod": "POST" },
      StringLike: { "states:HTTPEndpoint": ["https://enrich.example/v1/orders*"] },
    });
    expect(policy.Statement.find((s) => s.Sid === "Store")!.Action).toEqual(["dynamodb:PutItem"]);
  });
});
