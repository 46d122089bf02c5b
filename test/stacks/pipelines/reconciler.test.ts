/**
 * The two reconcilers in the stack (issue #17): one schedule invokes a send and a receive function,
 * each with the schedule's retries and the one alarmed dead-letter queue, each role granting only
 * what its own path does.
 */
import { customerInput } from "../../helpers/customer-factory";
import { synthCustomer, all, byPath, ref } from "../helpers";

const { tf } = synthCustomer(customerInput({ name: "acme" }));
type Statement = { Sid?: string; Action: string[]; Resource: string[] };
const policyOf = (path: string): Statement[] =>
  (JSON.parse(byPath(tf, "aws_iam_role_policy", `${path}/policy`)[1].policy) as { Statement: Statement[] }).Statement;
const actions = (path: string) => new Set(policyOf(path).flatMap((s) => s.Action));
const resources = (path: string) => policyOf(path).flatMap((s) => s.Resource);

const SEND = "send/reconciler/function";
const RECEIVE = "send/reconciler/receive-function";

describe("the reconcilers", () => {
  const [ruleId] = byPath(tf, "aws_cloudwatch_event_rule", "send/reconciler/schedule");
  const [dlqId] = byPath(tf, "aws_sqs_queue", "send/reconciler/dlq/queue");

  it("are two functions, each bundling its own handler", () => {
    const send = byPath(tf, "aws_lambda_function", `${SEND}/fn`)[1];
    const receive = byPath(tf, "aws_lambda_function", `${RECEIVE}/fn`)[1];
    expect(send.function_name).toBe("as2-acme-send-reconciler");
    expect(receive.function_name).toBe("as2-acme-receive-reconciler");
    expect(String(send.filename)).toMatch(/send-reconcile\.zip$/);
    expect(String(receive.filename)).toMatch(/receive-reconcile\.zip$/);
    for (const fn of [send, receive]) {
      expect(fn.reserved_concurrent_executions).toBe(1);
      expect(fn.dead_letter_config).toEqual({ target_arn: ref("aws_sqs_queue", dlqId, "arn") });
    }
  });

  it("run on the one schedule, with retries and the alarmed dead-letter queue for either", () => {
    const targets = all(tf, "aws_cloudwatch_event_target").filter(
      (t) => t.rule === ref("aws_cloudwatch_event_rule", ruleId, "name"),
    );
    expect(targets).toHaveLength(2);
    for (const t of targets) {
      expect(t.retry_policy).toEqual({ maximum_event_age_in_seconds: 3600, maximum_retry_attempts: 3 });
      expect(t.dead_letter_config).toEqual({ arn: ref("aws_sqs_queue", dlqId, "arn") });
    }
    const permissions = all(tf, "aws_lambda_permission").filter(
      (p) => p.source_arn === ref("aws_cloudwatch_event_rule", ruleId, "arn"),
    );
    expect(permissions).toHaveLength(2);
    expect(all(tf, "aws_cloudwatch_metric_alarm").map((a) => a.alarm_name)).toEqual(
      expect.arrayContaining(["as2-acme-reconciler-dlq-not-empty"]),
    );
  });

  it("grant the send reconciler nothing of the receive path, and the receive reconciler nothing of the send path", () => {
    const send = actions(SEND);
    const receive = actions(RECEIVE);
    // The send reconciler hands claims to settle and results to the result function: no transfer of its own.
    expect(send.has("transfer:StartFileTransfer")).toBe(false);
    const queues = policyOf(SEND).filter((st) => st.Sid === "Queues")[0]!.Resource;
    expect(queues).toEqual([
      ref("aws_sqs_queue", byPath(tf, "aws_sqs_queue", "send/uploads-queue")[0], "arn"),
      ref("aws_sqs_queue", byPath(tf, "aws_sqs_queue", "send/results-queue")[0], "arn"),
    ]);
    const env = byPath(tf, "aws_lambda_function", `${SEND}/fn`)[1].environment.variables;
    expect(env.RESULTS_QUEUE_URL).toBe(
      ref("aws_sqs_queue", byPath(tf, "aws_sqs_queue", "send/results-queue")[0], "url"),
    );
    expect(receive.has("transfer:StartFileTransfer")).toBe(false);
    // Its queues: the dead-letter queue of its failed runs, and the receive queue for lost events.
    const [receiveQueueId] = byPath(tf, "aws_sqs_queue", "receive/queue");
    const sends = policyOf(RECEIVE).filter((st) => st.Action.includes("sqs:SendMessage"));
    expect(sends.flatMap((st) => st.Resource).sort()).toEqual(
      [ref("aws_sqs_queue", dlqId, "arn"), ref("aws_sqs_queue", receiveQueueId, "arn")].sort(),
    );
    expect(byPath(tf, "aws_lambda_function", `${RECEIVE}/fn`)[1].environment.variables.RECEIVE_QUEUE_URL).toBe(
      ref("aws_sqs_queue", receiveQueueId, "url"),
    );
    expect([...receive].filter((a) => a.startsWith("sqs:Receive"))).toEqual([]);
    for (const path of [SEND, RECEIVE]) expect(actions(path).has("dynamodb:Query")).toBe(true);
    expect(resources(SEND).filter((r) => r.includes("_gateway/inbound/"))).toEqual([]);
    expect(resources(SEND).filter((r) => r.includes("/inbox/"))).toEqual([]);
    expect(resources(RECEIVE).filter((r) => r.includes("_gateway/outbound/") || r.includes("AS2/send/"))).toEqual([]);
    expect(resources(RECEIVE).filter((r) => r.includes("/outbox/"))).toEqual([]);
  });
});
