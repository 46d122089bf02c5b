/**
 * The transaction workflow in Amazon States Language (issue 16), one per customer:
 *   Format (Lambda) → Enrich? (HTTP Task, per partner with an enrichment endpoint) → Store (DynamoDB
 *   PutItem, conditional) → Publish TRANSACTION.PROCESSED (EventBridge PutEvents)
 * and a catch on every step: record the failure in the table, publish TRANSACTION.FAILED with the
 * step and the reason, fail the execution.
 *
 * Plain data (no cdktf): the stack serializes it with Terraform references as strings, and the tests
 * validate it with asl-validator and run it with aws-local-stepfunctions.
 * JSONPath, not JSONata: aws-local-stepfunctions 3.0.0 evaluates JSONPath only (its Node build has no
 * JSONata engine), and executing the very definition the stack deploys is worth more here.
 *
 * AWS facts (Step Functions developer guide):
 * - "Call HTTPS APIs in Step Functions workflows": Resource arn:aws:states:::http:invoke, fields
 *   ApiEndpoint, Method, Authentication.ConnectionArn (an EventBridge connection is required),
 *   RequestBody; the result has ResponseBody and StatusCode; failures are States.Http.StatusCode.<n>
 *   and States.Http.Socket errors.
 * - "Perform DynamoDB CRUD operations with Step Functions": arn:aws:states:::dynamodb:putItem takes
 *   the PutItem API's parameters (TableName, Item, ConditionExpression...); a failed condition is the
 *   error DynamoDB.ConditionalCheckFailedException.
 * - "Handling errors in Step Functions workflows": Retry with IntervalSeconds, MaxAttempts,
 *   BackoffRate, MaxDelaySeconds, JitterStrategy; Catch with ResultPath.
 */

export const TRANSACTION_PROCESSED = "TRANSACTION.PROCESSED";
export const TRANSACTION_FAILED = "TRANSACTION.FAILED";

export interface EnrichTarget {
  /** `<station>/<partner>` as in the execution input's partnerKey. */
  readonly partnerKey: string;
  readonly url: string;
  readonly connectionArn: string;
}

export interface TransactionDefinitionProps {
  readonly formatFunctionArn: string;
  readonly eventBusName: string;
  /** EventBridge source of the published events (the gateway's EVENT_SOURCE). */
  readonly eventSource: string;
  /** @default none: no enrich step */
  readonly enrich?: readonly EnrichTarget[];
  /** CloudWatch namespace of the per-partner counts (TransactionsProcessed, TransactionsFailed). */
  readonly metricsNamespace: string;
}

export const PROCESSED_METRIC = "TransactionsProcessed";
export const FAILED_METRIC = "TransactionsFailed";
export const RECEIVED_METRIC = "TransactionsReceived";
/** Dimension of the per-partner metrics: the partner's AS2 ID (unique per customer). */
export const PARTNER_DIMENSION = "Partner";

type State = Record<string, unknown>;

const LAMBDA_RETRY = {
  ErrorEquals: [
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
  ],
  IntervalSeconds: 2,
  MaxAttempts: 6,
  BackoffRate: 2,
  MaxDelaySeconds: 60,
  JitterStrategy: "FULL",
};
const HTTP_RETRY = {
  ErrorEquals: [
    "States.Http.StatusCode.429",
    "States.Http.StatusCode.502",
    "States.Http.StatusCode.503",
    "States.Http.StatusCode.504",
    "States.Http.Socket",
  ],
  IntervalSeconds: 5,
  MaxAttempts: 5,
  BackoffRate: 2,
  MaxDelaySeconds: 120,
  JitterStrategy: "FULL",
};
const AWS_RETRY = {
  ErrorEquals: [
    "DynamoDB.ProvisionedThroughputExceededException",
    "DynamoDB.ThrottlingException",
    "DynamoDB.InternalServerErrorException",
    "EventBridge.InternalException",
    "EventBridge.ThrottlingException",
    "States.TaskFailed",
  ],
  IntervalSeconds: 1,
  MaxAttempts: 5,
  BackoffRate: 2,
  MaxDelaySeconds: 30,
  JitterStrategy: "FULL",
};

/** On any error: remember which step failed, then record and publish the failure. */
function catchTo(step: string): object[] {
  return [{ ErrorEquals: ["States.ALL"], ResultPath: "$.error", Next: `${step} failed` }];
}

function failedMarker(step: string): State {
  return { Type: "Pass", Result: step, ResultPath: "$.failedStep", Next: "Record failure" };
}

function putEvents(props: TransactionDefinitionProps, detailType: string, detail: Record<string, string>): State {
  return {
    Type: "Task",
    Resource: "arn:aws:states:::events:putEvents",
    Parameters: {
      Entries: [
        {
          EventBusName: props.eventBusName,
          Source: props.eventSource,
          DetailType: detailType,
          Detail: {
            eventType: detailType,
            "transactionId.$": "$.id",
            "customer.$": "$.customer",
            "stationId.$": "$.station",
            "partnerId.$": "$.partner",
            "test.$": "$.test",
            "format.$": "$.format",
            "position.$": "$.position",
            "source.$": "$.source",
            "envelope.$": "$.envelope",
            ...detail,
          },
        },
      ],
    },
    ResultPath: null,
    Retry: [AWS_RETRY],
  };
}

/** The table item: partition key `id`; index by-partner on (`partnerKey`, `receivedAt`). */
function item(status: "PROCESSED" | "FAILED"): Record<string, unknown> {
  return {
    id: { "S.$": "$.id" },
    partnerKey: { "S.$": "$.partnerKey" },
    receivedAt: { "S.$": "$.receivedAt" },
    status: { S: status },
    format: { "S.$": "$.format" },
    position: { "N.$": "States.Format('{}', $.position)" },
    sourceKey: { "S.$": "$.source.key" },
    sourceEtag: { "S.$": "$.source.etag" },
    envelope: { "S.$": "States.JsonToString($.envelope)" },
    ...(status === "PROCESSED"
      ? {
          type: { "S.$": "$.formatted.type" },
          document: { "S.$": "States.JsonToString($.formatted.document)" },
        }
      : {
          failedStep: { "S.$": "$.failedStep" },
          error: { "S.$": "$.error.Error" },
          cause: { "S.$": "$.error.Cause" },
        }),
  };
}

/**
 * One count per partner through the AWS SDK integration (arn:aws:states:::aws-sdk:cloudwatch:putMetricData,
 * "Use AWS SDK service integrations", Step Functions developer guide); errors go on to `next`.
 */
function count(props: TransactionDefinitionProps, metricName: string, next: string): State {
  return {
    Type: "Task",
    Resource: "arn:aws:states:::aws-sdk:cloudwatch:putMetricData",
    Parameters: {
      Namespace: props.metricsNamespace,
      MetricData: [
        {
          MetricName: metricName,
          Unit: "Count",
          Value: 1,
          Dimensions: [{ Name: PARTNER_DIMENSION, "Value.$": "$.partner" }],
        },
      ],
    },
    ResultPath: null,
    Retry: [
      { ErrorEquals: ["States.ALL"], IntervalSeconds: 1, MaxAttempts: 2, BackoffRate: 2, JitterStrategy: "FULL" },
    ],
    Catch: [{ ErrorEquals: ["States.ALL"], ResultPath: null, Next: next }],
    Next: next,
  };
}

/**
 * The conditional PutItem of a row: a PROCESSED row is never written twice, and a FAILED row is
 * replaced by a later success (a retried transaction) but never replaces a PROCESSED one.
 */
function putRow(status: "PROCESSED" | "FAILED", next: string, catchers: object[]): State {
  return {
    Type: "Task",
    Resource: "arn:aws:states:::dynamodb:putItem",
    Parameters: {
      "TableName.$": "$.table",
      Item: item(status),
      ConditionExpression: "attribute_not_exists(id) OR #status = :failed",
      ExpressionAttributeNames: { "#status": "status" },
      ExpressionAttributeValues: { ":failed": { S: "FAILED" } },
    },
    ResultPath: null,
    Retry: [{ ...AWS_RETRY, ErrorEquals: AWS_RETRY.ErrorEquals.filter((e) => e.startsWith("DynamoDB.")) }],
    Catch: catchers,
    Next: next,
  };
}

export function transactionDefinition(props: TransactionDefinitionProps): Record<string, unknown> {
  const enrich = props.enrich ?? [];
  const states: Record<string, State> = {
    Format: {
      Type: "Task",
      Resource: "arn:aws:states:::lambda:invoke",
      Parameters: { FunctionName: props.formatFunctionArn, "Payload.$": "$" },
      ResultSelector: { "type.$": "$.Payload.type", "document.$": "$.Payload.document" },
      ResultPath: "$.formatted",
      Retry: [LAMBDA_RETRY],
      Catch: catchTo("Format"),
      Next: enrich.length ? "Enrich?" : "Store",
    },
    "Format failed": failedMarker("format"),
    Store: putRow("PROCESSED", "Publish processed", [
      { ErrorEquals: ["DynamoDB.ConditionalCheckFailedException"], ResultPath: null, Next: "Already stored" },
      ...catchTo("Store"),
    ]),
    "Store failed": failedMarker("store"),
    // Stored by an earlier execution of the same transaction: its PROCESSED event was published then.
    "Already stored": { Type: "Succeed" },
    "Publish processed": {
      ...putEvents(props, TRANSACTION_PROCESSED, {}),
      Catch: catchTo("Publish"),
      Next: "Count processed",
    },
    // A count that cannot be written never fails a transaction that is stored and published.
    "Count processed": count(props, PROCESSED_METRIC, "Done"),
    Done: { Type: "Succeed" },
    "Publish failed": failedMarker("publish"),
    "Record failure": putRow("FAILED", "Publish failure", [
      { ErrorEquals: ["States.ALL"], ResultPath: "$.recordError", Next: "Publish failure" },
    ]),
    "Publish failure": {
      ...putEvents(props, TRANSACTION_FAILED, {
        "failedStep.$": "$.failedStep",
        "failureCode.$": "$.error.Error",
        "failureMessage.$": "$.error.Cause",
      }),
      Catch: [{ ErrorEquals: ["States.ALL"], ResultPath: "$.publishError", Next: "Count failed" }],
      Next: "Count failed",
    },
    "Count failed": count(props, FAILED_METRIC, "Failed"),
    Failed: { Type: "Fail", ErrorPath: "$.error.Error", CausePath: "$.error.Cause" },
  };
  if (enrich.length) {
    states["Enrich?"] = {
      Type: "Choice",
      Choices: enrich.map((e, i) => ({
        Variable: "$.partnerKey",
        StringEquals: e.partnerKey,
        Next: `Enrich ${i + 1}`,
      })),
      Default: "Store",
    };
    enrich.forEach((e, i) => {
      states[`Enrich ${i + 1}`] = {
        Type: "Task",
        Comment: `enrichment of ${e.partnerKey}`,
        Resource: "arn:aws:states:::http:invoke",
        Parameters: {
          ApiEndpoint: e.url,
          Method: "POST",
          Authentication: { ConnectionArn: e.connectionArn },
          Headers: { "Content-Type": "application/json" },
          RequestBody: { "id.$": "$.id", "type.$": "$.formatted.type", "document.$": "$.formatted.document" },
        },
        ResultSelector: { "body.$": "$.ResponseBody" },
        ResultPath: "$.enriched",
        Retry: [HTTP_RETRY],
        Catch: catchTo("Enrich"),
        Next: "Use enriched",
      };
    });
    // The endpoint's answer is the document that is stored.
    states["Use enriched"] = {
      Type: "Pass",
      InputPath: "$.enriched.body",
      ResultPath: "$.formatted.document",
      Next: "Store",
    };
    states["Enrich failed"] = failedMarker("enrich");
  }
  return {
    Comment: "issue 16: one execution per transaction (execution name = transaction id)",
    StartAt: "Format",
    States: states,
  };
}
