import { EVENT_SOURCE } from "../../model/events";
import { archivePrefix } from "../../model/layout";
import { physicalName } from "../../stacks/events/event-names";
import { customerInput } from "../helpers/customer-factory";
import { synthCustomer, resourceList, resources, refId } from "./synth-helpers";

const SECRET = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:hook-AbCdEf";

describe("event archive", () => {
  const tf = synthCustomer(
    customerInput({
      archive: { partitioning: "HOURLY", bufferSizeMiB: 1, bufferIntervalSeconds: 0, includeTransferEvents: true },
      logRetentionDays: 30,
    }),
  );
  const [stream] = resourceList(tf, "aws_kinesis_firehose_delivery_stream");

  it("partitions hourly when asked", () => {
    expect(stream.extended_s3_configuration.prefix).toBe(archivePrefix("HOURLY"));
    expect(stream.extended_s3_configuration.prefix).toMatch(/\/hour=!\{timestamp:HH\}\/$/);
    expect(stream.extended_s3_configuration).toMatchObject({ buffering_size: 1, buffering_interval: 0 });
  });

  it("also archives the raw AS2 events of Transfer Family from the default bus", () => {
    const rules = Object.entries(resources(tf, "aws_cloudwatch_event_rule")).filter(([, r]) =>
      r.name.includes("archive"),
    );
    expect(
      rules.map(([, r]) => [r.event_bus_name === "default" ? "default" : "gateway", JSON.parse(r.event_pattern)]),
    ).toEqual([
      ["gateway", { source: [EVENT_SOURCE] }],
      ["default", { source: ["aws.transfer"], "detail-type": [{ prefix: "AS2 " }] }],
    ]);
    const targets = resourceList(tf, "aws_cloudwatch_event_target").filter((t) =>
      rules.some(([id]) => refId(t.rule) === id),
    );
    expect(targets).toHaveLength(2);
    for (const t of targets) {
      expect(t.arn).toMatch(/^\$\{aws_kinesis_firehose_delivery_stream\./);
      expect(t.input_path).toBeUndefined();
      expect(t.dead_letter_config.arn).toMatch(/^\$\{aws_sqs_queue\./);
      expect(t.retry_policy.maximum_retry_attempts).toBeGreaterThan(0);
    }
    expect(targets.find((t) => refId(t.rule) === rules[1]![0])!.event_bus_name).toBe("default");
    const putRole = resources(tf, "aws_iam_role")[refId(targets[0]!.role_arn)];
    expect(JSON.parse(putRole.assume_role_policy).Statement[0].Condition.ArnEquals["aws:SourceArn"]).toHaveLength(2);
  });

  it("gives Firehose the archive prefix and the key, nothing else", () => {
    const roleId = refId(stream.extended_s3_configuration.role_arn);
    const policy = resourceList(tf, "aws_iam_role_policy").find((p) => p.role === `\${aws_iam_role.${roleId}.id}`);
    const statements = JSON.parse(policy.policy).Statement as {
      Sid: string;
      Action: string[];
      Resource: string[];
      Condition?: any;
    }[];
    const objects = statements.find((s) => s.Sid === "WriteArchiveObjects")!;
    expect(objects.Resource).toEqual([expect.stringMatching(/\}\/_gateway\/archive\/\*$/)]);
    for (const s of statements) {
      for (const a of s.Action) expect(a).not.toMatch(/\*/);
      for (const r of s.Resource) expect(r).not.toBe("*");
    }
    const kms = statements.find((s) => s.Sid === "EncryptArchiveObjects")!;
    expect(kms.Condition.StringEquals["kms:ViaService"]).toBe("s3.eu-west-1.amazonaws.com");
    const list = statements.find((s) => s.Sid === "ListArchive")!;
    expect(list.Condition.StringLike["s3:prefix"]).toEqual(["_gateway/archive/*"]);
    const trust = JSON.parse(resources(tf, "aws_iam_role")[roleId].assume_role_policy).Statement[0];
    expect(trust.Principal).toEqual({ Service: "firehose.amazonaws.com" });
    expect(trust.Condition.StringEquals["sts:ExternalId"]).toMatch(/^\$\{data\.aws_caller_identity\./);
  });

  it("logs delivery errors to a log group with the customer's retention", () => {
    const group = resourceList(tf, "aws_cloudwatch_log_group").find((g) => g.name.startsWith("/aws/kinesisfirehose/"));
    expect(group).toMatchObject({ name: "/aws/kinesisfirehose/as2-acme-event-archive", retention_in_days: 30 });
    expect(stream.extended_s3_configuration.cloudwatch_logging_options).toMatchObject({
      enabled: true,
      log_stream_name: expect.any(String),
    });
  });

  it("encrypts objects with the customer key", () => {
    expect(stream.extended_s3_configuration.kms_key_arn).toMatch(/^\$\{aws_kms_key\./);
    expect(stream.server_side_encryption.enabled).toBe(true);
  });

  it("alarms when Firehose stops delivering to S3", () => {
    const alarm = resourceList(tf, "aws_cloudwatch_metric_alarm").find((a) => a.namespace === "AWS/Firehose");
    expect(alarm).toMatchObject({
      metric_name: "DeliveryToS3.DataFreshness",
      dimensions: { DeliveryStreamName: "as2-acme-event-archive" },
      threshold: 900,
      comparison_operator: "GreaterThanThreshold",
    });
    expect(alarm.alarm_actions).toEqual([expect.stringMatching(/^\$\{aws_sns_topic\./)]);
  });

  it("is absent when the archive is disabled", () => {
    const off = synthCustomer(customerInput({ archive: { enabled: false } }));
    expect(resourceList(off, "aws_kinesis_firehose_delivery_stream")).toHaveLength(0);
    expect(resourceList(off, "aws_cloudwatch_event_rule").filter((r) => r.name.includes("archive"))).toHaveLength(0);
  });
});

describe("webhooks", () => {
  it("basic auth reads username and password from the secret's JSON at apply time", () => {
    const tf = synthCustomer(
      customerInput({
        webhooks: [{ name: "b", url: "https://h.example/x", auth: { type: "basic", secretArn: SECRET } }],
      }),
    );
    const [conn] = resourceList(tf, "aws_cloudwatch_event_connection");
    expect(conn.authorization_type).toBe("BASIC");
    expect(conn.auth_parameters.basic.username).toMatch(
      /^\$\{jsondecode\(data\.aws_secretsmanager_secret_version\.[^.]+\.secret_string\)\.username\}$/,
    );
    expect(conn.auth_parameters.basic.password).toMatch(/\.secret_string\)\.password\}$/);
    expect(JSON.stringify(tf)).not.toMatch(/"password":\s*"[^$]/);
  });

  it("refuses an OAuth token URL that is not https at synth", () => {
    expect(() =>
      synthCustomer(
        customerInput({
          webhooks: [
            {
              name: "o",
              url: "https://h.example/x",
              auth: { type: "oauth", tokenUrl: "http://login.example/token", clientId: "c", secretArn: SECRET },
            },
          ],
        }),
      ),
    ).toThrow(/webhooks 'o': auth.tokenUrl must be an https:\/\/ URL/);
  });

  it("none declared: no connection, destination or webhook rule", () => {
    const tf = synthCustomer(customerInput());
    expect(resourceList(tf, "aws_cloudwatch_event_connection")).toHaveLength(0);
    expect(resourceList(tf, "aws_cloudwatch_event_api_destination")).toHaveLength(0);
    expect(resourceList(tf, "aws_sns_topic_subscription")).toHaveLength(0);
    // Failure notices stay: operators can subscribe to the topic by other means.
    expect(resourceList(tf, "aws_cloudwatch_event_rule").some((r) => r.name === "as2-acme-failures-to-alarms")).toBe(
      true,
    );
  });

  it("long names stay within AWS limits and distinct", () => {
    const customer = "c".repeat(32);
    const a = physicalName(["as2", customer, "webhook", "w".repeat(40)]);
    const b = physicalName(["as2", customer, "webhook", `${"w".repeat(39)}x`]);
    expect(a.length).toBeLessThanOrEqual(64);
    expect(a).not.toBe(b);
    expect(physicalName(["as2", customer, "webhook", "w".repeat(40), "dlq"], 80).length).toBeLessThanOrEqual(80);
    expect(physicalName(["as2", "acme", "webhook", "erp"])).toBe("as2-acme-webhook-erp");
  });
});

describe("alarm topic policy", () => {
  const tf = synthCustomer(customerInput());
  const [policy] = resourceList(tf, "aws_sns_topic_policy");
  const statements = JSON.parse(policy.policy).Statement as any[];

  it("lets EventBridge publish only from rules of the gateway's bus in this account", () => {
    const s = statements.find((x) => x.Principal?.Service === "events.amazonaws.com");
    expect(s.Action).toBe("sns:Publish");
    expect(s.Condition.StringEquals["aws:SourceAccount"]).toMatch(/^\$\{data\.aws_caller_identity\./);
    expect(s.Condition.ArnLike["aws:SourceArn"]).toMatch(
      /:events:eu-west-1:\$\{data\.aws_caller_identity\.[^}]+\}:rule\/\$\{aws_cloudwatch_event_bus\.[^}]+\.name\}\/\*$/,
    );
  });

  it("lets CloudWatch publish only for alarms of this account", () => {
    const s = statements.find((x) => x.Principal?.Service === "cloudwatch.amazonaws.com");
    expect(s.Condition.ArnLike["aws:SourceArn"]).toMatch(/:cloudwatch:eu-west-1:.*:alarm:\*$/);
    expect(s.Condition.StringEquals["aws:SourceAccount"]).toBeDefined();
  });

  it("keeps the owner's rights and refuses publishing without TLS", () => {
    expect(statements.find((x) => x.Sid === "AccountOwner").Action).toContain("sns:Subscribe");
    expect(statements.find((x) => x.Effect === "Deny").Condition).toEqual({ Bool: { "aws:SecureTransport": "false" } });
  });
});
