/**
 * Issue 6, "done when": a customer with two webhooks (one for everything, one for one station's
 * failures only), two e-mail addresses and a DAILY archive synthesizes into exactly that wiring.
 */
import { join } from "node:path";
import { EVENT_SOURCE } from "../../model/events";
import { archivePrefix, archiveErrorPrefix } from "../../model/layout";
import { synthCustomerFile, resourceList, resources, refId, type TfJson } from "./synth-helpers";

const FIXTURE = join(__dirname, "fixtures", "events-demo.json");
const ALL = ["MESSAGE.RECEIVED.SUCCESS", "MESSAGE.RECEIVED.FAILED", "MESSAGE.SEND.SUCCESS", "MESSAGE.SEND.FAILED"];

let tf: TfJson;
beforeAll(async () => {
  tf = await synthCustomerFile(FIXTURE);
});

const byName = (type: string, name: string) => {
  const hit = Object.entries(resources(tf, type)).find(([, r]) => r.name === name);
  if (!hit)
    throw new Error(
      `no ${type} named ${name}; have ${resourceList(tf, type)
        .map((r) => r.name)
        .join(", ")}`,
    );
  return { id: hit[0], r: hit[1] };
};
const targetOf = (ruleId: string) =>
  resourceList(tf, "aws_cloudwatch_event_target").filter((t) => refId(t.rule) === ruleId);

describe("events-demo: two webhooks, two e-mails, a DAILY archive", () => {
  it("has exactly two connections, two API destinations and two webhook rules", () => {
    expect(
      resourceList(tf, "aws_cloudwatch_event_connection")
        .map((c) => c.name)
        .sort(),
    ).toEqual(["as2-events-demo-webhook-erp", "as2-events-demo-webhook-eu-failures"]);
    expect(resourceList(tf, "aws_cloudwatch_event_api_destination")).toHaveLength(2);
    const webhookRules = resourceList(tf, "aws_cloudwatch_event_rule").filter((r) => r.name.includes("-webhook-"));
    expect(webhookRules).toHaveLength(2);
  });

  it("the global webhook gets every event type of every station, as the event detail", () => {
    const { id, r: rule } = byName("aws_cloudwatch_event_rule", "as2-events-demo-webhook-erp");
    expect(JSON.parse(rule.event_pattern)).toEqual({ source: [EVENT_SOURCE], "detail-type": ALL });
    expect(rule.event_bus_name).toMatch(/^\$\{aws_cloudwatch_event_bus\./);
    const [target] = targetOf(id);
    expect(target).toMatchObject({
      input_path: "$.detail",
      retry_policy: { maximum_retry_attempts: 185, maximum_event_age_in_seconds: 86400 },
    });
    expect(target.arn).toBe(`\${aws_cloudwatch_event_api_destination.${refId(target.arn)}.arn}`);
    const dest = resources(tf, "aws_cloudwatch_event_api_destination")[refId(target.arn)];
    expect(dest).toMatchObject({ invocation_endpoint: "https://erp.demo.example/hooks/as2", http_method: "POST" });
    const conn = resources(tf, "aws_cloudwatch_event_connection")[refId(dest.connection_arn)];
    expect(conn.authorization_type).toBe("API_KEY");
    expect(conn.auth_parameters.api_key.key).toBe("X-Api-Key");
    // The value is a reference resolved at apply time, never the secret itself.
    expect(conn.auth_parameters.api_key.value).toMatch(
      /^\$\{data\.aws_secretsmanager_secret_version\.[^.]+\.secret_string\}$/,
    );
    const secret =
      tf.data!.aws_secretsmanager_secret_version![refId(conn.auth_parameters.api_key.value.replace("data.", ""))];
    expect(secret.secret_id).toBe("arn:aws:secretsmanager:eu-central-1:123456789012:secret:as2/erp-webhook-key-AbCdEf");
  });

  it("the station webhook gets only failures of DEMO-EU, with its own retry policy, over OAuth", () => {
    const { id, r: rule } = byName("aws_cloudwatch_event_rule", "as2-events-demo-webhook-eu-failures");
    expect(JSON.parse(rule.event_pattern)).toEqual({
      source: [EVENT_SOURCE],
      "detail-type": ["MESSAGE.SEND.FAILED", "MESSAGE.RECEIVED.FAILED"],
      detail: { stationId: ["DEMO-EU"] },
    });
    const [target] = targetOf(id);
    expect(target.retry_policy).toEqual({ maximum_retry_attempts: 20, maximum_event_age_in_seconds: 3600 });
    const dest = resources(tf, "aws_cloudwatch_event_api_destination")[refId(target.arn)];
    expect(dest.invocation_endpoint).toBe("https://ops.demo.example/as2/failures");
    const conn = resources(tf, "aws_cloudwatch_event_connection")[refId(dest.connection_arn)];
    expect(conn.authorization_type).toBe("OAUTH_CLIENT_CREDENTIALS");
    expect(conn.auth_parameters.oauth).toMatchObject({
      authorization_endpoint: "https://login.demo.example/oauth2/token",
      http_method: "POST",
      client_parameters: { client_id: "as2-gateway" },
      oauth_http_parameters: {
        body: [
          { key: "grant_type", value: "client_credentials", is_value_secret: false },
          { key: "scope", value: "webhooks.write", is_value_secret: false },
        ],
      },
    });
    expect(conn.auth_parameters.oauth.client_parameters.client_secret).toMatch(
      /^\$\{data\.aws_secretsmanager_secret_version\./,
    );
  });

  it("each webhook target has an encrypted dead-letter queue EventBridge may write to, with an alarm", () => {
    for (const name of ["as2-events-demo-webhook-erp", "as2-events-demo-webhook-eu-failures"]) {
      const { id } = byName("aws_cloudwatch_event_rule", name);
      const [target] = targetOf(id);
      const dlqId = refId(target.dead_letter_config.arn);
      const dlq = resources(tf, "aws_sqs_queue")[dlqId];
      expect(dlq.name).toBe(`${name}-dlq`);
      expect(dlq.kms_master_key_id).toMatch(/^\$\{aws_kms_key\./);
      const policy = resourceList(tf, "aws_sqs_queue_policy").find(
        (p) => p.queue_url === `\${aws_sqs_queue.${dlqId}.url}`,
      );
      const stmt = JSON.parse(policy.policy).Statement[0];
      expect(stmt.Principal).toEqual({ Service: "events.amazonaws.com" });
      expect(stmt.Condition.ArnEquals["aws:SourceArn"]).toEqual([`\${aws_cloudwatch_event_rule.${id}.arn}`]);
      const alarm = resourceList(tf, "aws_cloudwatch_metric_alarm").find(
        (a) => a.dimensions?.QueueName === `${name}-dlq`,
      );
      expect(alarm.alarm_actions).toEqual([expect.stringMatching(/^\$\{aws_sns_topic\./)]);
    }
  });

  it("the invoke role may only invoke its own API destination, assumed only by its own rule", () => {
    const { id } = byName("aws_cloudwatch_event_rule", "as2-events-demo-webhook-erp");
    const [target] = targetOf(id);
    const role = resources(tf, "aws_iam_role")[refId(target.role_arn)];
    const trust = JSON.parse(role.assume_role_policy).Statement[0];
    expect(trust.Principal).toEqual({ Service: "events.amazonaws.com" });
    expect(trust.Condition.ArnEquals["aws:SourceArn"]).toEqual([`\${aws_cloudwatch_event_rule.${id}.arn}`]);
    const policy = resourceList(tf, "aws_iam_role_policy").find(
      (p) => p.role === `\${aws_iam_role.${refId(target.role_arn)}.id}`,
    );
    expect(JSON.parse(policy.policy).Statement).toEqual([
      { Sid: "InvokeWebhook", Effect: "Allow", Action: ["events:InvokeApiDestination"], Resource: [target.arn] },
    ]);
  });

  it("subscribes exactly the two e-mail addresses to the alarm topic", () => {
    const subs = resourceList(tf, "aws_sns_topic_subscription");
    expect(subs.map((s) => [s.protocol, s.endpoint]).sort()).toEqual([
      ["email", "as2-ops@demo.example"],
      ["email", "integration-lead@demo.example"],
    ]);
    for (const s of subs) expect(s.topic_arn).toMatch(/^\$\{aws_sns_topic\.[^.]+\.arn\}$/);
  });

  it("sends failed sends and receives to the alarm topic as readable text", () => {
    const { id, r: rule } = byName("aws_cloudwatch_event_rule", "as2-events-demo-failures-to-alarms");
    expect(JSON.parse(rule.event_pattern)).toEqual({
      source: [EVENT_SOURCE],
      "detail-type": ["MESSAGE.SEND.FAILED", "MESSAGE.RECEIVED.FAILED"],
    });
    const [target] = targetOf(id);
    expect(target.arn).toMatch(/^\$\{aws_sns_topic\./);
    expect(target.input_transformer.input_paths).toMatchObject({
      station: "$.detail.stationId",
      reason: "$.detail.failureMessage",
      code: "$.detail.failureCode",
    });
    const lines = target.input_transformer.input_template.split("\n");
    for (const line of lines) expect(line).toMatch(/^".*"$/);
    expect(target.input_transformer.input_template).toContain("Failure <code>: <reason>");
    expect(target.dead_letter_config.arn).toMatch(/^\$\{aws_sqs_queue\./);
  });

  it("archives every domain event, daily, with the configured buffering, one JSON line per event", () => {
    const [stream] = resourceList(tf, "aws_kinesis_firehose_delivery_stream");
    const s3 = stream.extended_s3_configuration;
    expect(stream.destination).toBe("extended_s3");
    expect(s3.prefix).toBe(archivePrefix("DAILY"));
    expect(s3.prefix).toBe("_gateway/archive/events/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/");
    expect(s3.error_output_prefix).toBe(archiveErrorPrefix());
    expect(s3.buffering_size).toBe(16);
    expect(s3.buffering_interval).toBe(120);
    expect(s3.file_extension).toBe(".jsonl");
    expect(s3.processing_configuration).toEqual({ enabled: true, processors: [{ type: "AppendDelimiterToRecord" }] });
    const archiveRules = resourceList(tf, "aws_cloudwatch_event_rule").filter((r) => r.name.includes("archive"));
    expect(archiveRules.map((r) => JSON.parse(r.event_pattern))).toEqual([{ source: [EVENT_SOURCE] }]);
  });

  it("creates nothing more on the customer's bus: no extra rules, targets or streams", () => {
    const onBus = Object.entries(resources(tf, "aws_cloudwatch_event_rule")).filter(([, r]) =>
      /^\$\{aws_cloudwatch_event_bus\./.test(r.event_bus_name ?? ""),
    );
    expect(onBus.map(([, r]) => r.name).sort()).toEqual([
      "as2-events-demo-archive-domain-events",
      "as2-events-demo-failures-to-alarms",
      "as2-events-demo-webhook-erp",
      "as2-events-demo-webhook-eu-failures",
    ]);
    expect(onBus.flatMap(([id]) => targetOf(id))).toHaveLength(4);
    expect(resourceList(tf, "aws_kinesis_firehose_delivery_stream")).toHaveLength(1);
    expect(resourceList(tf, "aws_cloudwatch_event_connection")).toHaveLength(2);
  });
});
