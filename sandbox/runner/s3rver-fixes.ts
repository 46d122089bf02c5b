/**
 * Where s3rver answers otherwise than S3 does, the fake is corrected, never the handlers (DESIGN.md):
 * used by the sandbox, the test harness and the bench alike.
 */

/**
 * s3rver reads x-amz-copy-source with decodeURI, which leaves %40 ('@'), %2B ('+'), %24, %26, %2C,
 * %3B, %3D and %3A encoded: real S3 decodes them. The handlers send what real S3 expects (each
 * segment encodeURIComponent-encoded); this rewrites the header into the form s3rver decodes to the
 * same key.
 */
export function reencodeCopySource(header: string): string {
  const [path, query] = header.split("?", 2);
  const decoded = path!
    .split("/")
    .map((seg) => decodeURIComponent(seg))
    .join("/");
  return `${encodeURI(decoded)}${query !== undefined ? `?${query}` : ""}`;
}

/**
 * s3rver's multi-object delete (DeleteObjects) deletes its keys concurrently, and each delete then
 * removes the directories it left empty (readdir, then rmdir): two keys of one folder race, and the
 * loser's rmdir fails with ENOENT, which s3rver answers as 500 InternalError (real S3 deletes them).
 * One delete at a time, the fake answers as S3 does.
 */
export function serializeS3rverDeletes(s3rver: unknown): void {
  const { store } = s3rver as { store: { deleteObject(bucket: string, key: string): Promise<void> } };
  const original = store.deleteObject.bind(store);
  let previous: Promise<unknown> = Promise.resolve();
  store.deleteObject = (bucket, key) => {
    const run = previous.then(() => original(bucket, key));
    previous = run.catch(() => undefined);
    return run;
  };
}
