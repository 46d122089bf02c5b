/** The receive pipeline as synthesized in a customer stack: rule, queues, mapping, IAM scope, environment. */
import { customerInput, customerWithPartners, SAMPLE_CERT_PEM } from "../helpers/customer-factory";
import { all, byPath, ref, synthCustomer, synthWithGuardRails, type Tf } from "../stacks/helpers";
import { validateCustomer } from "../../model/load";
import type { GatewayContext } from "../../stacks/platform/context";
import { INBOUND_DETAIL_TYPES } from "../../model/inbound-events";
import {
  AGREEMENTS_PER_RULE,
  RECEIVE_MAX_RECEIVE_COUNT,
  RECEIVE_VISIBILITY_TIMEOUT_SECONDS,
  ReceivePipeline,
} from "../../stacks/pipelines/receive-pipeline";

const input = customerInput({
  layout: "as2gateway",
  stations: [
    { as2Id: "ACME", signing: { generate: true } },
    { as2Id: "ACME-EU", signing: { generate: true }, inboxNaming: "folder" },
  ],
  partners: [
    {
      as2Id: "PARTNER",
      station: "ACME",
      url: "https://partner.example/as2",
      certificates: { signing: { pem: SAMPLE_CERT_PEM } },
    },
    {
      as2Id: "SANDBOX",
      station: "ACME-EU",
      url: "https://sandbox.example/as2",
      test: true,
      certificates: { signing: { pem: SAMPLE_CERT_PEM } },
    },
  ],
});
const synth = synthCustomer(input);
const tf = synth.tf;

function receive(type: string, suffix: string): [string, any] {
  return byPath(tf, type, `receive/${suffix}`);
}
const [queueId, queue] = receive("aws_sqs_queue", "queue");
const [dlqId, dlq] = receive("aws_sqs_queue", "dlq/queue");
const [ruleId, rule] = receive("aws_cloudwatch_event_rule", "rule");
const [, fn] = receive("aws_lambda_function", "function/fn");
const [roleId] = receive("aws_iam_role", "function/role");
const [, policy] = receive("aws_iam_role_policy", "function/policy");
const statements: { Sid: string; Action: string[]; Resource: string[] }[] = JSON.parse(policy.policy).Statement;
const bucketArn = ref("aws_s3_bucket", Object.keys(tf.resource.aws_s3_bucket!)[0]!, "arn");

describe("ReceivePipeline in the customer stack", () => {
  it("subscribes to Transfer's four inbound detail-types of this customer's agreements, by agreement id, on the default bus", () => {
    const pattern = JSON.parse(rule.event_pattern);
    expect(pattern).toEqual({
      source: ["aws.transfer"],
      "detail-type": [...INBOUND_DETAIL_TYPES],
      detail: { "agreement-id": expect.any(Array) },
    });
    expect(pattern.resources).toBeUndefined();
    const ids: string[] = pattern.detail["agreement-id"];
    expect(ids).toHaveLength(2);
    // Terraform references to the two agreements (resolved at apply), one per partner.
    expect(ids.find((id) => /^\$\{.*agreement.*\}$/i.test(id) && id.includes("ACME--PARTNER"))).toBeDefined();
    expect(ids.find((id) => /^\$\{.*agreement.*\}$/i.test(id) && id.includes("ACME-EU--SANDBOX"))).toBeDefined();
    expect(rule.event_bus_name).toBeUndefined();
  });

  it("delivers to an encrypted queue whose redrive ends in an alarmed dead-letter queue", () => {
    const target = receive("aws_cloudwatch_event_target", "target")[1];
    expect(target.rule).toBe(ref("aws_cloudwatch_event_rule", ruleId, "name"));
    expect(target.arn).toBe(ref("aws_sqs_queue", queueId, "arn"));
    expect(target.dead_letter_config.arn).toBe(ref("aws_sqs_queue", dlqId, "arn"));
    expect(queue.kms_master_key_id).toMatch(/aws_kms_key\..*\.arn/);
    expect(dlq.kms_master_key_id).toMatch(/aws_kms_key\..*\.arn/);
    expect(queue.visibility_timeout_seconds).toBe(RECEIVE_VISIBILITY_TIMEOUT_SECONDS);
    expect(queue.visibility_timeout_seconds).toBeGreaterThanOrEqual(6 * fn.timeout);
    expect(JSON.parse(queue.redrive_policy)).toEqual({
      deadLetterTargetArn: ref("aws_sqs_queue", dlqId, "arn"),
      maxReceiveCount: RECEIVE_MAX_RECEIVE_COUNT,
    });
    const alarm = all(tf, "aws_cloudwatch_metric_alarm").find((a) => a.dimensions?.QueueName === dlq.name);
    expect(alarm).toBeDefined();
    expect(alarm.alarm_actions).toEqual([expect.stringMatching(/aws_sns_topic\..*\.arn/)]);
  });

  it("lets only its rule send to the queue (aws:SourceArn)", () => {
    const qp = JSON.parse(receive("aws_sqs_queue_policy", "queue-policy")[1].policy);
    expect(qp.Statement).toEqual([
      expect.objectContaining({
        Principal: { Service: "events.amazonaws.com" },
        Action: "sqs:SendMessage",
        Resource: ref("aws_sqs_queue", queueId, "arn"),
        Condition: { ArnEquals: { "aws:SourceArn": [ref("aws_cloudwatch_event_rule", ruleId, "arn")] } },
      }),
    ]);
  });

  it("feeds the bundled Lambda through an event source mapping that reports batch item failures", () => {
    const mapping = receive("aws_lambda_event_source_mapping", "mapping")[1];
    expect(mapping.event_source_arn).toBe(ref("aws_sqs_queue", queueId, "arn"));
    expect(mapping.function_name).toMatch(/aws_lambda_function\..*\.arn/);
    expect(mapping.function_response_types).toEqual(["ReportBatchItemFailures"]);
    expect(fn.runtime).toBe("nodejs22.x");
    expect(fn.filename).toMatch(/\.zip$/);
    expect(fn.source_code_hash).toMatch(/^[A-Za-z0-9+/]{43}=$/);
  });

  it("names every resource it uses in the environment", () => {
    const env = fn.environment.variables;
    expect(env.BUCKET).toMatch(/aws_s3_bucket\..*\.bucket/);
    expect(env.ROUTING_BUCKET).toBe(env.BUCKET);
    expect(env.ROUTING_KEY).toBe("_gateway/config/routing.json");
    expect(env.ROUTING_ETAG).toMatch(/sha256/);
    expect(env.STATE_TABLE).toMatch(/aws_dynamodb_table\..*\.name/);
    expect(env.EVENT_BUS_NAME).toMatch(/aws_cloudwatch_event_bus\..*\.name/);
  });

  it("scopes IAM to the base directories, the stations' inbox/ and failed/ folders, the routing document, the table, the bus and the key", () => {
    const by = Object.fromEntries(statements.map((s) => [s.Sid, s]));
    expect(by.InboundBaseDirectories).toEqual(
      expect.objectContaining({
        // Version-exact moves: a versionId on HEAD/copy/DELETE needs the *Version actions.
        Action: ["s3:GetObject", "s3:GetObjectVersion", "s3:DeleteObject", "s3:DeleteObjectVersion"],
        Resource: [`${bucketArn}/_gateway/inbound/*`],
      }),
    );
    expect(by.InboxAndFailedFolders!.Action).toEqual(["s3:GetObject", "s3:PutObject"]);
    expect(by.InboxAndFailedFolders!.Resource.sort()).toEqual(
      [
        `${bucketArn}/as2gateway/ACME/*/inbox/*`,
        `${bucketArn}/as2gateway/ACME/*/failed/*`,
        `${bucketArn}/as2gateway/ACME-EU/*/inbox/*`,
        `${bucketArn}/as2gateway/ACME-EU/*/failed/*`,
      ].sort(),
    );
    expect(by.RoutingDocument!.Resource).toEqual([`${bucketArn}/_gateway/config/routing.json`]);
    expect(by.MissingKeysAre404!.Resource).toEqual([bucketArn]);
    expect(by.MessageIndex!.Resource).toEqual([expect.stringMatching(/aws_dynamodb_table\..*\.arn/)]);
    expect(by.DomainEvents!.Resource).toEqual([expect.stringMatching(/aws_cloudwatch_event_bus\..*\.arn/)]);
    for (const s of statements) {
      for (const a of s.Action) expect(a).not.toMatch(/\*/);
      if (s.Action.some((a) => a.startsWith("s3:")))
        for (const r of s.Resource) expect(r.startsWith(bucketArn)).toBe(true);
      expect(s.Resource).not.toContain("*");
    }
    // Nothing can touch the send folders or the outbox.
    expect(statements.flatMap((s) => s.Resource).some((r) => /AS2\/send|outbox/.test(r))).toBe(false);
    expect(roleId).toBeTruthy();
  });

  it("passes the guard rails", () => {
    expect(synth.findings.errors.filter((e) => e.path.includes("/receive/"))).toEqual([]);
  });

  it("mftgateway: IAM covers AS2/files/<station>/…/inbox|failed", () => {
    const mft = synthCustomer(customerInput({ name: "mft" }));
    const p = JSON.parse(byPath(mft.tf, "aws_iam_role_policy", "receive/function/policy")[1].policy).Statement.find(
      (s: any) => s.Sid === "InboxAndFailedFolders",
    );
    expect(p.Resource.map((r: string) => r.replace(/^.*\}\//, "")).sort()).toEqual([
      "AS2/files/ACME/*/failed/*",
      "AS2/files/ACME/*/inbox/*",
    ]);
  });

  it(`splits the agreements over rules of ${AGREEMENTS_PER_RULE}, each pattern within EventBridge's 2048 characters`, () => {
    const customer = validateCustomer(customerWithPartners(120, "bigrecv"), "<test>");
    const partners = customer.partners.map((p, i) => ({
      station: p.station,
      partner: p.as2Id,
      test: p.test,
      connectorId: `c-${String(i).padStart(17, "0")}`,
      connectorArn: `arn:aws:transfer:eu-west-1:111122223333:connector/c-${i}`,
      agreementId: `a-${String(i).padStart(17, "0")}`,
      agreementArn: `arn:aws:transfer:eu-west-1:111122223333:agreement/a-${i}`,
    }));
    const ctx: GatewayContext = {
      customer,
      customerFile: "<test>",
      bucket: { name: "bucket", arn: "arn:aws:s3:::bucket" },
      kmsKeyArn: "arn:aws:kms:eu-west-1:111122223333:key/k",
      stateTable: { name: "t", arn: "arn:aws:dynamodb:eu-west-1:111122223333:table/t" },
      eventBus: { name: "b", arn: "arn:aws:events:eu-west-1:111122223333:event-bus/b" },
      alarmTopicArn: "arn:aws:sns:eu-west-1:111122223333:alarms",
      transfer: { serverId: "s-1", serverArn: "arn:aws:transfer:eu-west-1:111122223333:server/s-1", partners },
      routing: { key: "_gateway/config/routing.json", etag: "e" },
    };
    const { tf: big, findings } = synthWithGuardRails((scope) => new ReceivePipeline(scope, "receive", ctx));
    expect(findings.errors).toEqual([]);
    const rules = all(big, "aws_cloudwatch_event_rule");
    expect(rules).toHaveLength(3);
    const ids = rules.flatMap((r) => JSON.parse(r.event_pattern).detail["agreement-id"] as string[]);
    expect(ids.sort()).toEqual(partners.map((p) => p.agreementId).sort());
    for (const r of rules) expect(r.event_pattern.length).toBeLessThanOrEqual(2048);
    const qp = all(big, "aws_sqs_queue_policy")
      .map((p) => JSON.parse(p.policy))
      .find((p) => p.Statement[0].Sid === "TransferEventsOfThisCustomer");
    expect(qp.Statement[0].Condition.ArnEquals["aws:SourceArn"]).toHaveLength(3);
    expect(all(big, "aws_cloudwatch_event_target")).toHaveLength(3);
  });
});

export type { Tf };
