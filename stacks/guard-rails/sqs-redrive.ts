/**
 * Every SQS queue moves messages it cannot process to a dead-letter queue (redrive policy),
 * except dead-letter queues themselves: a queue named as the dead-letter target of a queue,
 * function, rule target, subscription or schedule, one with a redrive allow policy, or one tagged
 * as a dead-letter queue by stacks/platform/dlq-alarm.ts.
 */
import { valuesUnderKeys, type GuardRailRule, type RuleContext } from "./rule";
import type { TerraformElement } from "cdktf";
import { DEAD_LETTER_TAG } from "../platform/dlq-alarm";

/** Types whose configuration can name a dead-letter queue. */
const DLQ_REFERRERS = [
  "aws_sqs_queue",
  "aws_sqs_queue_redrive_policy",
  "aws_lambda_function",
  "aws_lambda_function_event_invoke_config",
  "aws_lambda_event_source_mapping",
  "aws_cloudwatch_event_target",
  "aws_sns_topic_subscription",
  "aws_scheduler_schedule",
  "aws_pipes_pipe",
];
const DLQ_KEYS = /dead_letter|redrive_policy|on_failure/;

const [TAG_KEY, TAG_VALUE] = Object.entries(DEAD_LETTER_TAG)[0]!;

function isDeadLetterQueue(queue: TerraformElement, ctx: RuleContext): boolean {
  const address = ctx.address(queue);
  const cfg = ctx.config(queue);
  if (cfg.redrive_allow_policy) return true;
  // DeadLetterQueue (stacks/platform/dlq-alarm.ts) marks its queues explicitly.
  if ((cfg.tags as Record<string, unknown> | undefined)?.[TAG_KEY] === TAG_VALUE) return true;
  if (
    ctx
      .elementsOfType("aws_sqs_queue_redrive_allow_policy")
      .some((e) => valuesUnderKeys(ctx.config(e), /^queue_url$/).some((v) => v.includes(`\${${address}.`)))
  ) {
    return true;
  }
  return DLQ_REFERRERS.flatMap((t) => ctx.elementsOfType(t))
    .filter((e) => e !== queue)
    .some((e) => valuesUnderKeys(ctx.config(e), DLQ_KEYS).some((v) => v.includes(`\${${address}.arn}`)));
}

export const SqsRedrive: GuardRailRule = {
  id: "SqsRedrive",
  description: "SQS queues have a redrive policy to a dead-letter queue (dead-letter queues excepted)",
  appliesTo: ["aws_sqs_queue"],
  check(queue, ctx) {
    const address = ctx.address(queue);
    if (ctx.config(queue).redrive_policy) return [];
    const separate = ctx
      .elementsOfType("aws_sqs_queue_redrive_policy")
      .some((e) => valuesUnderKeys(ctx.config(e), /^queue_url$/).some((v) => v.includes(`\${${address}.`)));
    if (separate || isDeadLetterQueue(queue, ctx)) return [];
    return [
      "queue has no redrive policy to a dead-letter queue and is not itself a dead-letter queue; poison messages would be retried until they expire",
    ];
  },
};
