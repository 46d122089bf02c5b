/**
 * AWS clients with the SDK's standard configuration, so AWS_ENDPOINT_URL_<SERVICE> redirects them
 * (local servers in tests and the sandbox); S3_FORCE_PATH_STYLE=true switches S3 to path-style.
 * One instance per container: Lambda reuses them across invocations.
 */
import { S3Client } from "@aws-sdk/client-s3";

let s3: S3Client | undefined;

export function s3Client(): S3Client {
  s3 ??= new S3Client({ forcePathStyle: process.env.S3_FORCE_PATH_STYLE === "true" });
  return s3;
}

/** For tests: forget cached clients after changing the environment. */
export function resetClients(): void {
  s3 = undefined;
}
