/** The synthesized customer stack wires every piece of the send pipeline (asserted on the Terraform JSON). */
import { customerInput, SAMPLE_CERT_PEM } from "../helpers/customer-factory";
import { synthCustomer, all, byPath, ref, type Tf } from "../stacks/helpers";
import { SEND_RESULT_DETAIL_TYPES, MAX_RECEIVE_COUNT } from "../../stacks/pipelines/send-pipeline";

const cert = { signing: { pem: SAMPLE_CERT_PEM } };
const input = customerInput({
  settle: { fileSeconds: 30, directorySeconds: 200 },
  send: { sweepMinutes: 1 },
  partners: [
    { as2Id: "PARTNER", station: "ACME", url: "https://p.example/as2", certificates: cert },
    { as2Id: "OTHER", station: "ACME", url: "https://o.example/as2", certificates: cert, test: true },
  ],
});
const { tf, findings } = synthCustomer(input);

const res = (type: string, path: string) => byPath(tf, type, path);
const id = (type: string, path: string) => res(type, path)[0];
const body = (type: string, path: string) => res(type, path)[1];

function policyOf(
  tfJson: Tf,
  fn: string,
): { Statement: { Sid?: string; Action: string[]; Resource: string[]; Condition?: unknown }[] } {
  return JSON.parse(byPath(tfJson, "aws_iam_role_policy", `send/${fn}/policy`)[1].policy);
}

const bucketName = ref("aws_s3_bucket", Object.keys(tf.resource.aws_s3_bucket!)[0]!, "bucket");
const bucketArn = ref("aws_s3_bucket", Object.keys(tf.resource.aws_s3_bucket!)[0]!, "arn");
const connectors = Object.keys(tf.resource.aws_transfer_connector ?? {});

describe("send pipeline in the customer stack", () => {
  it("routes uploads under AS2/send/ of the bucket from the default bus to the send queue", () => {
    const rule = body("aws_cloudwatch_event_rule", "send/uploads-rule");
    expect(rule.event_bus_name).toBeUndefined();
    expect(JSON.parse(rule.event_pattern)).toEqual({
      source: ["aws.s3"],
      "detail-type": ["Object Created"],
      detail: { bucket: { name: [bucketName] }, object: { key: [{ prefix: "AS2/send/" }] } },
    });
    const target = body("aws_cloudwatch_event_target", "send/uploads-target");
    expect(target.arn).toBe(ref("aws_sqs_queue", id("aws_sqs_queue", "send/uploads-queue"), "arn"));
    // One dead-letter queue per source queue: a failed delivery waits where a redrive puts it back.
    expect(target.dead_letter_config.arn).toBe(ref("aws_sqs_queue", id("aws_sqs_queue", "send/uploads-dlq"), "arn"));
  });

  it("routes Transfer's outbound results by connector-id (not resources) to the results queue", () => {
    const pattern = JSON.parse(body("aws_cloudwatch_event_rule", "send/results-rule").event_pattern);
    expect(connectors).toHaveLength(2);
    expect(pattern).toEqual({
      source: ["aws.transfer"],
      "detail-type": [...SEND_RESULT_DETAIL_TYPES],
      detail: {
        "connector-id": expect.arrayContaining(connectors.map((c) => ref("aws_transfer_connector", c, "connector_id"))),
      },
    });
    expect(pattern.resources).toBeUndefined();
    expect(body("aws_cloudwatch_event_target", "send/results-target").arn).toBe(
      ref("aws_sqs_queue", id("aws_sqs_queue", "send/results-queue"), "arn"),
    );
  });

  it("delays the send queue by the settle time; every queue is encrypted and redrives to its DLQ", () => {
    const uploads = body("aws_sqs_queue", "send/uploads-queue");
    const results = body("aws_sqs_queue", "send/results-queue");
    expect(uploads.delay_seconds).toBe(30);
    expect(results.delay_seconds).toBe(0);
    for (const [q, dlq] of [
      ["uploads-queue", "uploads-dlq"],
      ["results-queue", "results-dlq"],
    ] as const) {
      const queue = body("aws_sqs_queue", `send/${q}`);
      expect(JSON.parse(queue.redrive_policy)).toEqual({
        deadLetterTargetArn: ref("aws_sqs_queue", id("aws_sqs_queue", `send/${dlq}`), "arn"),
        maxReceiveCount: MAX_RECEIVE_COUNT,
      });
      expect(queue.visibility_timeout_seconds).toBeGreaterThanOrEqual(6 * 60);
      expect(queue.kms_master_key_id).toMatch(/aws_kms_key/);
      expect(body("aws_sqs_queue", `send/${dlq}`).redrive_policy).toBeUndefined();
    }
  });

  it("lets only its own rules send to its queues", () => {
    const policy = JSON.parse(body("aws_sqs_queue_policy", "send/uploads-policy").policy);
    expect(policy.Statement).toEqual([
      expect.objectContaining({
        Principal: { Service: "events.amazonaws.com" },
        Action: "sqs:SendMessage",
        Condition: {
          ArnEquals: {
            "aws:SourceArn": [
              ref("aws_cloudwatch_event_rule", id("aws_cloudwatch_event_rule", "send/uploads-rule"), "arn"),
            ],
          },
        },
      }),
    ]);
  });

  it("drives the settle and result functions from their queues with partial batch failures", () => {
    const mappings = all(tf, "aws_lambda_event_source_mapping").filter((m) =>
      String(m["//"]?.metadata?.path).includes("/send/"),
    );
    expect(mappings).toHaveLength(2);
    for (const m of mappings) expect(m.function_response_types).toEqual(["ReportBatchItemFailures"]);
    expect(body("aws_lambda_event_source_mapping", "send/settle-source").event_source_arn).toBe(
      ref("aws_sqs_queue", id("aws_sqs_queue", "send/uploads-queue"), "arn"),
    );
    expect(body("aws_lambda_event_source_mapping", "send/result-source").event_source_arn).toBe(
      ref("aws_sqs_queue", id("aws_sqs_queue", "send/results-queue"), "arn"),
    );
  });

  it("sweeps on the customer's schedule, with a dead-letter queue for the asynchronous invocation", () => {
    expect(body("aws_cloudwatch_event_rule", "send/sweep-rule").schedule_expression).toBe("rate(1 minute)");
    expect(body("aws_cloudwatch_event_target", "send/sweep-target").arn).toBe(
      ref("aws_lambda_function", id("aws_lambda_function", "send/sweep/fn"), "arn"),
    );
    expect(body("aws_lambda_function", "send/sweep/fn").dead_letter_config.target_arn).toBe(
      ref("aws_sqs_queue", id("aws_sqs_queue", "send/sweep-dlq"), "arn"),
    );
    expect(body("aws_lambda_permission", "send/sweep-permission")).toMatchObject({
      principal: "events.amazonaws.com",
      source_arn: ref("aws_cloudwatch_event_rule", id("aws_cloudwatch_event_rule", "send/sweep-rule"), "arn"),
    });
  });

  it("bundles each function for nodejs22.x on arm64, with an environment that names every resource", () => {
    for (const fn of ["settle", "result", "sweep"]) {
      const f = body("aws_lambda_function", `send/${fn}/fn`);
      expect(f.runtime).toBe("nodejs22.x");
      expect(f.architectures).toEqual(["arm64"]);
      expect(f.filename).toMatch(/\.zip$/);
      expect(f.source_code_hash).toBeTruthy();
      const env = f.environment.variables;
      expect(env).toMatchObject({
        BUCKET: bucketName,
        ROUTING_BUCKET: bucketName,
        ROUTING_KEY: "_gateway/config/routing.json",
        SEND_QUEUE_URL: ref("aws_sqs_queue", id("aws_sqs_queue", "send/uploads-queue"), "url"),
        STATE_TABLE: expect.stringMatching(/aws_dynamodb_table/),
        EVENT_BUS_NAME: expect.stringMatching(/aws_cloudwatch_event_bus/),
      });
      expect(env.ROUTING_ETAG).toBeTruthy();
      expect(body("aws_cloudwatch_log_group", `send/${fn}/logs`).retention_in_days).toBe(90);
    }
  });

  it("scopes each role to exact prefixes, its queues, the table, the bus and this customer's connectors", () => {
    const settle = policyOf(tf, "settle");
    const statements = settle.Statement;
    for (const s of [...statements, ...policyOf(tf, "result").Statement, ...policyOf(tf, "sweep").Statement]) {
      expect(s.Action.some((a) => a.includes("*"))).toBe(false);
      expect(s.Resource).not.toContain("*");
    }
    const sid = (name: string) => statements.find((s) => s.Sid === name)!;
    expect(sid("Uploads").Resource).toEqual([`${bucketArn}/AS2/send/*`]);
    expect(sid("Staging").Resource).toEqual([`${bucketArn}/_gateway/outbound/*`]);
    expect(sid("Routed").Resource).toEqual([`${bucketArn}/AS2/files/*/outbox/*`, `${bucketArn}/AS2/files/*/failed/*`]);
    // Without s3:ListBucket, HeadObject of a missing key is 403, not 404 (the handlers probe keys).
    expect(sid("ProbeKeys")).toMatchObject({ Action: ["s3:ListBucket"], Resource: [bucketArn] });
    expect(policyOf(tf, "sweep").Statement.find((s) => s.Sid === "ListUploads")!.Condition).toEqual({
      StringLike: { "s3:prefix": ["AS2/send/*"] },
    });
    expect(sid("StartFileTransfer")).toMatchObject({
      Action: ["transfer:StartFileTransfer"],
      Resource: expect.arrayContaining(connectors.map((c) => ref("aws_transfer_connector", c, "arn"))),
    });
    expect(sid("StartFileTransfer").Resource).toHaveLength(2);
    expect(sid("Ledger").Resource).toEqual([expect.stringMatching(/^\$\{aws_dynamodb_table\..+\.arn\}$/)]);
    expect(sid("SendQueue").Resource).toEqual([ref("aws_sqs_queue", id("aws_sqs_queue", "send/uploads-queue"), "arn")]);
    // Settle publishes nothing (least privilege): it hands failed files to the result function, which publishes.
    expect(statements.flatMap((s) => s.Action)).not.toContain("events:PutEvents");
    expect(sid("ResultsQueue")).toMatchObject({
      Action: ["sqs:SendMessage"],
      Resource: [ref("aws_sqs_queue", id("aws_sqs_queue", "send/results-queue"), "arn")],
    });
    expect(body("aws_lambda_function", "send/settle/fn").environment.variables.RESULTS_QUEUE_URL).toBe(
      ref("aws_sqs_queue", id("aws_sqs_queue", "send/results-queue"), "url"),
    );
    const published = policyOf(tf, "result").Statement.find((s) => s.Sid === "DomainEvents")!;
    expect(published.Resource).toEqual([expect.stringMatching(/^\$\{aws_cloudwatch_event_bus\..+\.arn\}$/)]);
    // The sweep only lists and enqueues.
    expect(
      policyOf(tf, "sweep")
        .Statement.flatMap((s) => s.Action)
        .sort(),
    ).toEqual(
      [
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "kms:Decrypt",
        "kms:GenerateDataKey",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "s3:GetObject",
        "s3:ListBucket",
        "sqs:SendMessage",
        "sqs:SendMessage",
      ].sort(),
    );
  });

  it("alarms on every dead-letter queue to the operators' topic", () => {
    const alarms = all(tf, "aws_cloudwatch_metric_alarm").filter(
      (a) => String(a.alarm_name).includes("-send-") && String(a.alarm_name).endsWith("-dlq-not-empty"),
    );
    expect(alarms).toHaveLength(3);
    for (const a of alarms) {
      expect(a).toMatchObject({
        metric_name: "ApproximateNumberOfMessagesVisible",
        comparison_operator: "GreaterThanThreshold",
        threshold: 0,
      });
      expect(a.alarm_actions).toEqual([expect.stringMatching(/aws_sns_topic/)]);
    }
  });

  it("passes the guard rails", () => {
    expect(findings.errors.filter((f) => f.path.includes("/send/"))).toEqual([]);
  });

  it("runs the reconciler every 5 minutes, with its own alarmed dead-letter queue and age-of-open-work alarms", () => {
    const [, rule] = byPath(tf, "aws_cloudwatch_event_rule", "send/reconciler/schedule");
    expect(rule.schedule_expression).toBe("rate(5 minutes)");
    const alarms = all(tf, "aws_cloudwatch_metric_alarm");
    for (const direction of ["send", "receive"]) {
      expect(alarms.find((a) => a.alarm_name === `as2-acme-oldest-open-${direction}-work`)).toMatchObject({
        namespace: "as2-transfer-gateway/acme",
        metric_name: "OldestOpenWorkAgeSeconds",
        dimensions: { Customer: "acme", Direction: direction },
        treat_missing_data: "breaching",
      });
    }
    expect(alarms.find((a) => a.alarm_name === "as2-acme-reconciler-dlq-not-empty")).toBeDefined();
    const [, table] = byPath(tf, "aws_dynamodb_table", "state/table");
    expect(table.global_secondary_index).toEqual([
      expect.objectContaining({ name: "open-work", hash_key: "openKind", range_key: "openSince" }),
    ]);
  });
});

describe("send pipeline without partners yet", () => {
  it("matches every connector of the account and scopes StartFileTransfer to this account's connectors", () => {
    const bare = synthCustomer(customerInput({ name: "bare", partners: [] })).tf;
    const pattern = JSON.parse(byPath(bare, "aws_cloudwatch_event_rule", "send/results-rule")[1].event_pattern);
    expect(pattern.detail).toEqual({ "connector-id": [{ exists: true }] });
    const start = policyOf(bare, "settle").Statement.find((s) => s.Sid === "StartFileTransfer")!;
    expect(start.Resource).toEqual([
      expect.stringMatching(
        /^arn:\$\{data\.aws_partition\..+\}:transfer:\$\{data\.aws_region\..+\}:\$\{data\.aws_caller_identity\..+\.account_id\}:connector\/\*$/,
      ),
    ]);
  });
});
