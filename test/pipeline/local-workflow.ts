/**
 * Runs the synthesized transaction workflow with aws-local-stepfunctions: the format task calls the
 * real format handler, the DynamoDB tasks send the resolved PutItem parameters to dynalite (real
 * conditional writes), and PutEvents entries and
 * PutMetricData counts are captured (EventBridge and CloudWatch have no local server here).
 * Errors get the names Step Functions gives service errors ("DynamoDB.<code>") so the definition's
 * Retry and Catch apply as in AWS.
 */
import { DynamoDBClient, PutItemCommand, type PutItemCommandInput } from "@aws-sdk/client-dynamodb";
import "../../sandbox/runner/promise-with-resolvers";
import { StateMachine } from "aws-local-stepfunctions";
import { handler as formatHandler } from "../../handlers/pipeline/format-handler";
import type { TransactionMessage } from "../../handlers/pipeline/transaction-message";

export interface CapturedEvent {
  readonly DetailType: string;
  readonly Detail: Record<string, unknown>;
}

export interface LocalWorkflow {
  readonly events: CapturedEvent[];
  /** [metric name, partner] of each count the workflow wrote. */
  readonly counts: [string, string][];
  run(input: TransactionMessage): Promise<{ status: "SUCCEEDED" | "FAILED"; error?: string }>;
}

function serviceError(service: string, e: unknown): Error {
  const err = new Error((e as Error).message);
  err.name = `${service}.${(e as { name?: string }).name ?? "UnknownError"}`;
  return err;
}

export function localWorkflow(
  definition: Record<string, unknown>,
  ddb: DynamoDBClient,
  overrides: Record<string, (input: unknown) => Promise<unknown>> = {},
): LocalWorkflow {
  const machine = new StateMachine(definition as never, { validationOptions: { checkArn: false } });
  const events: CapturedEvent[] = [];
  const counts: [string, string][] = [];
  const putMetricData = async (input: unknown) => {
    for (const d of (input as { MetricData: { MetricName: string; Dimensions: { Value: string }[] }[] }).MetricData)
      counts.push([d.MetricName, d.Dimensions[0]!.Value]);
    return {};
  };
  const putItem = async (input: unknown) => {
    try {
      await ddb.send(new PutItemCommand(input as PutItemCommandInput));
      return {};
    } catch (e) {
      throw serviceError("DynamoDB", e);
    }
  };
  const putEvents = async (input: unknown) => {
    for (const entry of (input as { Entries: { DetailType: string; Detail: Record<string, unknown> }[] }).Entries)
      events.push({ DetailType: entry.DetailType, Detail: entry.Detail });
    return { FailedEntryCount: 0, Entries: [] };
  };
  const handlers: Record<string, (input: unknown) => Promise<unknown>> = {
    Format: async (input) => ({ Payload: await formatHandler((input as { Payload: TransactionMessage }).Payload) }),
    Store: putItem,
    "Record failure": putItem,
    "Publish processed": putEvents,
    "Publish failure": putEvents,
    "Count processed": putMetricData,
    "Count failed": putMetricData,
    ...overrides,
  };
  return {
    events,
    counts,
    async run(input) {
      try {
        await machine.run(input as never, {
          overrides: {
            taskResourceLocalHandlers: handlers as never,
            retryIntervalOverrides: retryOverrides(definition),
          },
        }).result;
        return { status: "SUCCEEDED" };
      } catch (e) {
        const cause = (e as { cause?: { name?: string } }).cause;
        return { status: "FAILED", error: cause?.name ?? (e as Error).message };
      }
    },
  };
}

/** No real waiting between retries in tests (the intervals themselves are asserted on the definition). */
function retryOverrides(definition: Record<string, unknown>): Record<string, number> {
  const states = definition.States as Record<string, { Retry?: unknown }>;
  return Object.fromEntries(
    Object.keys(states)
      .filter((s) => states[s]!.Retry)
      .map((s) => [s, 0]),
  );
}
