/**
 * Loads the pipeline document the stack wrote (PIPELINE_BUCKET / PIPELINE_KEY), checked against the
 * SHA-256 the stack put in PIPELINE_SHA256: a document changed by anyone but the stack routes nothing.
 * Cached per container until the environment (a new deploy) changes.
 */
import type { S3Client } from "@aws-sdk/client-s3";
import { parsePipelineDocument, sha256Hex, type PipelineDocument } from "../../model/pipeline-document";
import { requireEnv } from "../shared/env";
import { getText } from "../shared/s3-object";

let cached: { readonly key: string; readonly doc: PipelineDocument } | undefined;

export async function loadPipelineDocument(s3: S3Client): Promise<PipelineDocument> {
  const bucket = requireEnv("PIPELINE_BUCKET");
  const key = requireEnv("PIPELINE_KEY");
  const expected = requireEnv("PIPELINE_SHA256");
  const cacheKey = `${bucket}/${key}/${expected}`;
  if (cached?.key === cacheKey) return cached.doc;
  const text = await getText(s3, bucket, key);
  if (text === undefined) throw new Error(`pipeline document s3://${bucket}/${key} is missing (redeploy the stack)`);
  if (sha256Hex(text) !== expected)
    throw new Error(`pipeline document s3://${bucket}/${key} was not written by the stack (SHA-256 differs)`);
  const doc = parsePipelineDocument(JSON.parse(text));
  cached = { key: cacheKey, doc };
  return doc;
}

/** For tests: forget the cached document. */
export function forgetPipelineDocument(): void {
  cached = undefined;
}
