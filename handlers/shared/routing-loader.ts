/**
 * The routing document, read from S3 once per container. ROUTING_ETAG changes whenever the stack
 * rewrites the document, which changes the function configuration and so starts fresh containers;
 * a short TTL covers a document changed out of band.
 */
import type { S3Client } from "@aws-sdk/client-s3";
import { Routing } from "../../model/routing";
import { getJson } from "./s3-object";
import { requireEnv } from "./env";

const TTL_MS = 60_000;
let cached: { key: string; at: number; routing: Routing } | undefined;

export async function loadRouting(s3: S3Client, now = Date.now()): Promise<Routing> {
  const bucket = requireEnv("ROUTING_BUCKET");
  const key = requireEnv("ROUTING_KEY");
  const cacheKey = `${bucket}/${key}/${process.env.ROUTING_ETAG ?? ""}`;
  if (cached && cached.key === cacheKey && now - cached.at < TTL_MS) return cached.routing;
  const doc = await getJson(s3, bucket, key);
  if (doc === undefined)
    throw new Error(`routing document s3://${bucket}/${key} is missing (it is written by the stack: redeploy)`);
  const routing = Routing.parse(doc);
  cached = { key: cacheKey, at: now, routing };
  return routing;
}

export function forgetRouting(): void {
  cached = undefined;
}
