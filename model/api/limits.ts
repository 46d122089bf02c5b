/** Limits of the REST API, shared by the schemas (documentation) and the Lambda (enforcement). */
export const API_LIMITS = {
  /**
   * Largest file sent inline (decoded). HTTP APIs take request bodies up to 10 MB (docs: "Quotas for
   * configuring and running an HTTP API in API Gateway", Payload size 10 MB, not adjustable:
   * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-quotas.html) but a
   * synchronous Lambda invocation carries at most 6 MB (Lambda quotas, "Invocation payload"): the
   * event wraps the body in base64 again, so 3 MiB leaves room for both encodings and the JSON around them.
   */
  inlineBytes: 3 * 1024 * 1024,
  /** Largest request body the Lambda reads (the inline limit in base64 and the JSON around it). */
  bodyBytes: 5 * 1024 * 1024,
  /** A presigned single PUT carries at most 5 GB (docs: S3 PutObject, "upload objects in a single operation ... up to 5 GB"). */
  uploadBytes: 5 * 1024 * 1024 * 1024,
  filesPerSend: 10,
  bulkDeleteIds: 100,
  fileNameChars: 255,
  pageSize: { default: 50, max: 100 },
  /** Longest caller-chosen transactionId of POST /v1/transactions. */
  transactionIdChars: 128,
  /**
   * Largest transactionMessage: a transaction travels as one SQS message and becomes one Step Functions
   * execution input, both at most 256 KiB (handlers/pipeline/split-file.ts, MAX_MESSAGE_BYTES); the
   * Lambda checks the whole message's bytes, this bounds the text before it is read.
   */
  transactionChars: 256 * 1024,
  /**
   * Days an upload by URL waits under `_gateway/api-uploads/` before lifecycle expires it: far past
   * the URL's validity, and a committed file's copy is in the send folder by then (the staged
   * object and its manifest are only the way there). Expired, it stays a noncurrent version for the
   * working paths' days (stacks/platform/storage.ts).
   */
  uploadExpiryDays: 2,
  /** Validity of presigned URLs. */
  urlSeconds: 900,
  /** How long POST /v1/messages remembers an Idempotency-Key (its answer, and the body it was for). */
  idempotencyHours: 24,
  /**
   * How long a call holds an Idempotency-Key before a retry may finish its work: longer than the
   * function runs (29 s, stacks/api/api-function.ts), so a live call never loses it.
   */
  idempotencyLeaseSeconds: 120,
} as const;
