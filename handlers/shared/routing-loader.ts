/**
 * The routing document, read from S3 once per container. ROUTING_ETAG changes whenever the stack
 * rewrites the document, which changes the function configuration and so starts fresh containers;
 * a short TTL covers a document changed out of band.
 *
 * Integrity: with ROUTING_SHA256 set (every synthesized function has it: stacks/pipelines/
 * gateway-function.ts), a document whose digest differs is refused: the handler throws, so its
 * work is retried and ends in a dead-letter queue instead of being routed by a tampered table, and
 * the refusal is logged with ROUTING_INTEGRITY_LOG_MARK, which a metric filter and an alarm watch.
 */
import type { S3Client } from "@aws-sdk/client-s3";
import { Routing } from "../../model/routing-types";
import { ROUTING_INTEGRITY_LOG_MARK, ROUTING_SHA256_ENV, routingIntegrityProblem } from "../../model/routing-integrity";
import { getText } from "./s3-object";
import { requireEnv } from "./env";
import { logger } from "./logger";

const TTL_MS = 60_000;
let cached: { key: string; at: number; routing: Routing } | undefined;

/** A routing document that must not be used: its work waits (retries, then the dead-letter queue). */
export class RoutingIntegrityError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RoutingIntegrityError";
  }
}

export async function loadRouting(s3: S3Client, now = Date.now()): Promise<Routing> {
  const bucket = requireEnv("ROUTING_BUCKET");
  const key = requireEnv("ROUTING_KEY");
  const expected = process.env[ROUTING_SHA256_ENV];
  const cacheKey = `${bucket}/${key}/${process.env.ROUTING_ETAG ?? ""}/${expected ?? ""}`;
  if (cached && cached.key === cacheKey && now - cached.at < TTL_MS) return cached.routing;
  const text = await getText(s3, bucket, key);
  if (text === undefined)
    throw new Error(`routing document s3://${bucket}/${key} is missing (it is written by the stack: redeploy)`);
  if (expected !== undefined) {
    const problem = routingIntegrityProblem(text, expected);
    if (problem) {
      cached = undefined;
      const message = `${ROUTING_INTEGRITY_LOG_MARK}: routing document s3://${bucket}/${key} was not written by the stack (${problem}); nothing is routed by it`;
      logger.error(message, { bucket, key });
      throw new RoutingIntegrityError(message);
    }
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new Error(`routing document s3://${bucket}/${key} is not valid JSON: ${(e as Error).message}`, { cause: e });
  }
  const routing = Routing.parse(doc);
  cached = { key: cacheKey, at: now, routing };
  return routing;
}

export function forgetRouting(): void {
  cached = undefined;
}
