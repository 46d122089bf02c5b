/**
 * The REST API's request and response shapes (issue 15): the single source of the OpenAPI
 * document (model/api/openapi.ts → templates/openapi.json). zod runs only at synth time and in the
 * generator; the API Lambda validates requests against the generated JSON Schemas
 * (handlers/api/validate.ts), so zod never reaches its bundle.
 */
import { z } from "zod";
import { MESSAGE_ID_PATTERN, UPLOAD_ID_PATTERN } from "./ids";
import { MESSAGE_STATES } from "./index-model";
import { API_LIMITS } from "./limits";

const as2Id = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[\x21-\x7e]+$/)
  .describe("an AS2 ID as declared in the customer file (printable ASCII, no spaces)");
const messageId = z.string().regex(new RegExp(MESSAGE_ID_PATTERN)).describe("the gateway's message id");
const isoDateTime = z.string().datetime({ offset: true });
const fileName = z
  .string()
  .min(1)
  .max(API_LIMITS.fileNameChars)
  // eslint-disable-next-line no-control-regex -- the pattern refuses control characters
  .regex(/^[^/\u0000-\u001f\u007f]+$/)
  .refine((s) => s !== "." && s !== "..")
  .describe("the file's name at the partner: no '/', no control characters, not '.' or '..'");

export const sendFileSchema = z
  .strictObject({
    fileName,
    contentBase64: z
      .string()
      .max(Math.ceil(API_LIMITS.inlineBytes / 3) * 4)
      .regex(/^[A-Za-z0-9+/]*={0,2}$/)
      .optional()
      .describe(`the file's bytes, base64; at most ${API_LIMITS.inlineBytes} bytes decoded. Omit it to upload by URL`),
    size: z
      .number()
      .int()
      .min(1)
      .max(API_LIMITS.uploadBytes)
      .optional()
      .describe("bytes the file will have, for an upload by URL (required without contentBase64)"),
  })
  .describe("one file: inline (contentBase64) or uploaded by URL (size)");

export const sendMessageRequestSchema = z
  .strictObject({
    station: as2Id.describe("our station's AS2 ID (sender)"),
    partner: as2Id.describe("the partner's AS2 ID (receiver)"),
    files: z
      .array(sendFileSchema)
      .min(1)
      .max(API_LIMITS.filesPerSend)
      .describe("each file is sent as its own AS2 message, as an upload to the partner's send folder is"),
  })
  .meta({
    examples: [
      {
        station: "ACME-AS2",
        partner: "GLOBEX",
        files: [{ fileName: "invoice-1001.xml", contentBase64: "PEludm9pY2UvPg==" }],
      },
    ],
  });

const uploadSchema = z.strictObject({
  url: z.string().describe("presigned S3 PUT URL; valid until expiresAt"),
  method: z.literal("PUT"),
  headers: z.record(z.string(), z.string()).describe("headers the PUT must carry exactly"),
  expiresAt: isoDateTime,
});

export const sendMessageResponseSchema = z
  .strictObject({
    messages: z.array(
      z.strictObject({
        fileName,
        state: z
          .enum(["queued", "awaiting-upload"])
          .describe(
            "queued: on its way (see id); awaiting-upload: PUT the file to upload.url, then POST /v1/uploads/{uploadId}/commit",
          ),
        id: messageId.optional().describe("queued files: the message id"),
        uploadId: z.string().regex(new RegExp(UPLOAD_ID_PATTERN)).optional().describe("files to upload by URL"),
        upload: uploadSchema.optional(),
      }),
    ),
  })
  .meta({
    examples: [
      {
        messages: [
          { id: "o-3f9a0c1b2d4e5f60718293a4", fileName: "invoice-1001.xml", state: "queued" },
          {
            uploadId: "u-0f1e2d3c4b5a69788796a5b4c3d2e1f0",
            fileName: "catalogue.zip",
            state: "awaiting-upload",
            upload: {
              url: "https://as2-example-bucket.s3.eu-west-1.amazonaws.com/_gateway/api-uploads/u-0f1e2d3c4b5a69788796a5b4c3d2e1f0/file?X-Amz-Signature=...",
              method: "PUT",
              headers: {},
              expiresAt: "2026-12-01T10:15:00.000Z",
            },
          },
        ],
      },
    ],
  });

export const messageSchema = z
  .strictObject({
    id: messageId,
    direction: z.enum(["inbound", "outbound"]),
    station: z.string(),
    partner: z.string(),
    test: z.boolean(),
    state: z.enum(MESSAGE_STATES).describe("deleted, else read (inbound), else where the message is in its pipeline"),
    read: z.boolean().describe("inbound only: marked read with PATCH"),
    createdAt: isoDateTime,
    updatedAt: isoDateTime,
    as2MessageId: z.string().optional(),
    subject: z.string().optional(),
    files: z.array(z.strictObject({ fileName: z.string(), size: z.number().int().min(0).optional() })),
    mdn: z
      .strictObject({ status: z.string().optional(), disposition: z.string().optional(), available: z.boolean() })
      .optional()
      .describe("the receipt; available: GET /v1/messages/{id}/mdn returns a download URL"),
    failure: z.strictObject({ code: z.string(), reason: z.string() }).optional(),
    attempts: z.number().int().min(0).optional(),
    resendOf: messageId.optional().describe("the failed message this one resends"),
    resentAs: messageId.optional().describe("the message that resent this failed one"),
    deletedAt: isoDateTime.optional(),
  })
  .meta({
    examples: [
      {
        id: "o-3f9a0c1b2d4e5f60718293a4",
        direction: "outbound",
        station: "ACME-AS2",
        partner: "GLOBEX",
        test: false,
        state: "sent",
        read: false,
        createdAt: "2026-12-01T10:00:00.000Z",
        updatedAt: "2026-12-01T10:00:04.000Z",
        as2MessageId: "<a1b2c3@ACME-AS2>",
        files: [{ fileName: "invoice-1001.xml", size: 12 }],
        mdn: { status: "sent", disposition: "automatic-action/MDN-sent-automatically; processed", available: true },
      },
    ],
  });

export const messageListSchema = z.strictObject({
  items: z.array(messageSchema),
  nextCursor: z.string().optional().describe("pass as ?cursor= with the same filters for the next page"),
});

export const patchMessageRequestSchema = z.strictObject({ read: z.boolean() }).meta({ examples: [{ read: true }] });

const download = z.strictObject({
  fileName: z.string(),
  size: z.number().int().min(0).optional(),
  url: z.string().describe("presigned S3 GET URL: the bytes never pass through the API"),
  expiresAt: isoDateTime,
});
export const fileLinksSchema = z.strictObject({ items: z.array(download) });
export const mdnLinkSchema = z.strictObject({
  url: z.string(),
  expiresAt: isoDateTime,
  disposition: z.string().optional(),
});

export const bulkDeleteRequestSchema = z
  .strictObject({ ids: z.array(messageId).min(1).max(API_LIMITS.bulkDeleteIds) })
  .meta({ examples: [{ ids: ["i-3f9a0c1b2d4e5f60718293a4", "o-00112233445566778899aabb"] }] });

export const bulkDeleteResponseSchema = z.strictObject({
  results: z.array(
    z.strictObject({
      id: z.string(),
      status: z.number().int().describe("HTTP status this id would have had alone: 200, 403, 404 or 409"),
      code: z.string().optional(),
      detail: z.string().optional(),
    }),
  ),
});

const transactionKey = z
  .string()
  .min(1)
  .max(API_LIMITS.transactionIdChars)
  .regex(/^[\x21-\x7e]+$/)
  .describe(
    "the caller's id of the transaction (printable ASCII, no spaces): with station and partner it decides the gateway's transaction id, so a POST retried with the same transactionId is processed once",
  );

export const postTransactionRequestSchema = z
  .strictObject({
    station: as2Id
      .optional()
      .describe(
        "our station's AS2 ID; omitted: the `station` query parameter, else the only station the caller may use that has a partner with a pipeline",
      ),
    partner: as2Id
      .optional()
      .describe(
        "the partner's AS2 ID (its pipeline processes the transaction); omitted: the `partner` query parameter, else the station's only partner with a pipeline",
      ),
    transactionId: transactionKey,
    transactionMessage: z
      .string()
      .min(1)
      .max(API_LIMITS.transactionChars)
      .describe("the transaction's text, processed as one transaction of the partner's pipeline format (not split)"),
  })
  .describe(
    "application/json, or application/x-www-form-urlencoded with the same field names (AWS's sample shape: transactionId=12&transactionMessage=...)",
  )
  .meta({
    examples: [
      {
        station: "ACME-AS2",
        partner: "GLOBEX",
        transactionId: "12",
        transactionMessage: '<Transaction TransactionID="12"><Amount>100</Amount></Transaction>',
      },
    ],
  });

export const transactionAcceptedSchema = z
  .strictObject({
    id: z
      .string()
      .regex(/^[0-9a-f]{32}-0$/)
      .describe(
        "the gateway's transaction id: the Step Functions execution name and the transaction table's key; the same for a retried POST",
      ),
    station: as2Id,
    partner: as2Id,
    transactionId: transactionKey,
    state: z.literal("accepted").describe("queued for the pipeline; processing is asynchronous"),
  })
  .meta({
    examples: [
      {
        id: "5d41402abc4b2a76b9719d911017c592-0",
        station: "ACME-AS2",
        partner: "GLOBEX",
        transactionId: "12",
        state: "accepted",
      },
    ],
  });

export const problemSchema = z
  .looseObject({
    type: z.string().describe("URI of the problem type (about:blank-style URNs of this API)"),
    title: z.string(),
    status: z.number().int(),
    code: z.string().describe("machine-readable: BAD_REQUEST, UNKNOWN_PARTNER, FORBIDDEN, ..."),
    detail: z.string().describe("what to change for the call to succeed"),
    instance: z.string().optional(),
    errors: z.array(z.strictObject({ path: z.string(), message: z.string() })).optional(),
  })
  .meta({
    examples: [
      {
        type: "urn:as2-gateway:problem:unknown-partner",
        title: "Unknown partner",
        status: 422,
        code: "UNKNOWN_PARTNER",
        detail: "partner 'GLOBEX2' is not a partner of station 'ACME-AS2'; use one of: 'GLOBEX'",
      },
    ],
  });

/** Components of the OpenAPI document, by name. */
export const API_SCHEMAS = {
  SendMessageRequest: sendMessageRequestSchema,
  SendMessageResponse: sendMessageResponseSchema,
  Message: messageSchema,
  MessageList: messageListSchema,
  PatchMessageRequest: patchMessageRequestSchema,
  FileLinks: fileLinksSchema,
  MdnLink: mdnLinkSchema,
  BulkDeleteRequest: bulkDeleteRequestSchema,
  BulkDeleteResponse: bulkDeleteResponseSchema,
  PostTransactionRequest: postTransactionRequestSchema,
  TransactionAccepted: transactionAcceptedSchema,
  Problem: problemSchema,
} as const;
export type ApiSchemaName = keyof typeof API_SCHEMAS;

export type SendMessageRequest = z.output<typeof sendMessageRequestSchema>;
export type SendMessageResponse = z.output<typeof sendMessageResponseSchema>;
export type ApiMessage = z.output<typeof messageSchema>;
export type MessageList = z.output<typeof messageListSchema>;
export type FileLinks = z.output<typeof fileLinksSchema>;
export type MdnLink = z.output<typeof mdnLinkSchema>;
export type BulkDeleteResponse = z.output<typeof bulkDeleteResponseSchema>;
export type PostTransactionRequest = z.output<typeof postTransactionRequestSchema>;
export type TransactionAccepted = z.output<typeof transactionAcceptedSchema>;
export type Problem = z.output<typeof problemSchema>;
