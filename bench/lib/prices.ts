/**
 * AWS list prices the bench turns request counts into money with: US East (N. Virginia), USD,
 * on-demand, no free tier. One place, each with the page it comes from and when it was read;
 * refresh them here (and the date) when AWS changes a price.
 */

/** When the figures below were transcribed from their pages. */
export const PRICES_AS_OF = "2026-12-01";
export const PRICES_REGION = "us-east-1";

export const PRICES = {
  lambda: {
    source: "https://aws.amazon.com/lambda/pricing/",
    /** Arm (Graviton), as the stack deploys (stacks/pipelines/gateway-function.ts): per GB-second. */
    perGbSecondArm: 0.0000133334,
    perMillionRequests: 0.2,
  },
  s3: {
    source: "https://aws.amazon.com/s3/pricing/ (S3 Standard, requests & data retrievals)",
    /** PUT, COPY, POST, LIST: per 1,000 requests. */
    perThousandWrite: 0.005,
    /** GET, HEAD, SELECT and all other requests: per 1,000 requests. */
    perThousandRead: 0.0004,
    /** DELETE (and CANCEL) requests are free. */
    perThousandDelete: 0,
  },
  dynamodb: {
    source: "https://aws.amazon.com/dynamodb/pricing/on-demand/",
    /** Standard table class, per million write request units (1 KB each). */
    perMillionWriteUnits: 0.625,
    /** Per million read request units (4 KB strongly consistent). */
    perMillionReadUnits: 0.125,
  },
  sqs: {
    source: "https://aws.amazon.com/sqs/pricing/",
    /** Standard queue, per million requests (each 64 KB chunk counts as one). */
    perMillionRequests: 0.4,
  },
  eventbridge: {
    source: "https://aws.amazon.com/eventbridge/pricing/",
    /** Custom events published (PutEvents entries, 64 KB chunks); AWS service events are free. */
    perMillionCustomEvents: 1.0,
  },
  transfer: {
    source: "https://aws.amazon.com/aws-transfer-family/pricing/",
    /** AS2 messages, first 100,000 a month, each up to 50 MB (the next 900,000: $0.005). */
    perAs2Message: 0.01,
    /** AS2 protocol enabled on a server endpoint, per hour (not per message: shown for context). */
    as2EndpointPerHour: 0.3,
  },
} as const;
