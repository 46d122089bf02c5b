/**
 * A Lambda function invoked asynchronously keeps the events it fails on: a dead-letter queue or
 * an on-failure destination. A function triggered only by SQS event source mappings needs
 * neither, because its queue's redrive policy keeps the messages (SqsRedrive checks that).
 * Anything else (EventBridge rules, schedules, S3/SNS notifications, a resource policy, or no
 * trigger declared at all) counts as asynchronous.
 */
import { blocks, mentions, valuesUnderKeys, type GuardRailRule } from "./rule";

/** Resource types through which a function is invoked asynchronously. */
const ASYNC_TRIGGERS = [
  "aws_lambda_permission",
  "aws_cloudwatch_event_target",
  "aws_scheduler_schedule",
  "aws_sns_topic_subscription",
  "aws_s3_bucket_notification",
];

export const LambdaAsyncDeadLetter: GuardRailRule = {
  id: "LambdaAsyncDeadLetter",
  description: "Asynchronously invoked Lambda functions have a dead-letter queue or on-failure destination",
  appliesTo: ["aws_lambda_function"],
  check(fn, ctx) {
    const address = ctx.address(fn);
    const cfg = ctx.config(fn);
    if (blocks(cfg.dead_letter_config).some((d) => typeof d.target_arn === "string" && d.target_arn.length > 0))
      return [];
    const onFailure = ctx
      .elementsOfType("aws_lambda_function_event_invoke_config")
      .map((e) => ctx.config(e))
      .filter((c) => mentions(c.function_name, address))
      .some((c) => valuesUnderKeys(c.destination_config, /^on_failure$/).length > 0);
    if (onFailure) return [];
    const sqsMappings = ctx
      .elementsOfType("aws_lambda_event_source_mapping")
      .map((e) => ctx.config(e))
      .filter(
        (c) => mentions(c.function_name, address) && String(c.event_source_arn ?? "").includes("${aws_sqs_queue."),
      );
    const triggers = ASYNC_TRIGGERS.flatMap((t) => ctx.elementsOfType(t)).filter((e) =>
      mentions(ctx.config(e), address),
    );
    // API Gateway invokes synchronously (the caller gets the error): nothing to keep.
    const synchronous = (e: (typeof triggers)[number]) => ctx.config(e).principal === "apigateway.amazonaws.com";
    const asyncTriggers = triggers.filter((e) => !synchronous(e));
    if ((sqsMappings.length > 0 || triggers.some(synchronous)) && asyncTriggers.length === 0) return [];
    const why = asyncTriggers.length
      ? `it is invoked asynchronously by ${asyncTriggers.map((t) => ctx.address(t)).join(", ")}`
      : "it has no SQS event source mapping, so it is treated as invoked asynchronously";
    return [
      `function has no dead-letter queue (dead_letter_config) or on-failure destination, and ${why}; failed events would be lost`,
    ];
  },
};
