/**
 * Integrity of the routing document: the stack records the SHA-256 of the exact text it writes
 * (Terraform's `sha256()` of the object's content, hex) in every function's environment, and a
 * handler routes only by a document with that digest. Anyone able to write under `_gateway/`
 * could otherwise remap agreements to partners or partners to connectors.
 */
import { createHash } from "node:crypto";

/** Environment variable holding the expected digest (64 lower-case hex digits). */
export const ROUTING_SHA256_ENV = "ROUTING_SHA256";

/**
 * Word logged with every refusal: the log metric filter of each function counts it and one alarm
 * per customer watches the count (stacks/pipelines/routing-document.ts).
 */
export const ROUTING_INTEGRITY_LOG_MARK = "RoutingIntegrityFailed";

/** Terraform's sha256(): hex digest of the UTF-8 text. */
export function routingDigest(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

/** Why a document must not be used, or undefined when its digest is the expected one. */
export function routingIntegrityProblem(text: string, expected: string): string | undefined {
  if (!/^[0-9a-f]{64}$/.test(expected))
    return `the expected digest ${JSON.stringify(expected.slice(0, 80))} is not a SHA-256 (redeploy the stack)`;
  const actual = routingDigest(text);
  return actual === expected ? undefined : `its SHA-256 is ${actual}, the stack wrote ${expected}`;
}
