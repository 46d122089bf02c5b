/**
 * The sandbox's S3 endpoint takes any access key and secret (issue #19 item 3): the SDK with keys
 * s3rver never heard of, and the AWS CLI (Debian's `awscli`; `.ci/run` installs it when absent) with
 * real-looking credentials in its environment, as the sandbox banner tells users to run it.
 */
import { execFile, spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateBucketCommand, GetObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { accessKeyOf, startStorageServers } from "../../sandbox/runner/storage-servers";
import type { StorageServers } from "../../sandbox/runner/storage-servers";

const work = mkdtempSync(join(tmpdir(), "any-credentials-"));
let storage: StorageServers;

beforeAll(async () => {
  storage = await startStorageServers(work);
});
afterAll(async () => {
  await storage.stop();
});

describe("access keys in requests", () => {
  it("reads SigV4 and SigV2 headers and presigned URLs", () => {
    expect(
      accessKeyOf({
        authorization:
          "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20261201/eu-west-1/s3/aws4_request, SignedHeaders=host, Signature=abc",
      }),
    ).toBe("AKIAIOSFODNN7EXAMPLE");
    expect(accessKeyOf({ authorization: "AWS AKIAV2:c2lnbmF0dXJl" })).toBe("AKIAV2");
    expect(
      accessKeyOf({}, "/b/k?X-Amz-Credential=AKIAQ%2F20261201%2Feu-west-1%2Fs3%2Faws4_request&X-Amz-Signature=x"),
    ).toBe("AKIAQ");
    expect(accessKeyOf({}, "/b/k")).toBeUndefined();
  });
});

describe("the sandbox's S3 endpoint", () => {
  it("serves the SDK with keys it never heard of", async () => {
    const s3 = new S3Client({
      region: "eu-west-1",
      endpoint: storage.s3Endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: "AKIA-ANY-KEY-1", secretAccessKey: "any secret" },
    });
    await s3.send(new CreateBucketCommand({ Bucket: "any-credentials" }));
    s3.destroy();
  });

  it("takes the AWS CLI's upload and listing with real-looking credentials in the environment", async () => {
    const which = spawnSync("sh", ["-c", "command -v aws"], { encoding: "utf8" });
    if (which.status !== 0)
      throw new Error("the AWS CLI is not installed: apt-get install -y awscli (.ci/run installs it when absent)");
    const file = join(work, "inv 1.edi");
    writeFileSync(file, "UNB+UNOA:2+ACME+GLOBEX'\r\n");
    const env = {
      ...process.env,
      AWS_ACCESS_KEY_ID: "AKIAIOSFODNN7EXAMPLE",
      AWS_SECRET_ACCESS_KEY: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
      AWS_SESSION_TOKEN: "FwoGZXIvYXdzEXAMPLE",
      AWS_DEFAULT_REGION: "eu-west-1",
    };
    // Asynchronously: the S3 server runs in this process and must keep answering while the CLI waits.
    const aws = (args: string[]) =>
      new Promise<{ status: number; stdout: string; stderr: string }>((resolve) => {
        execFile(
          "aws",
          ["--endpoint-url", storage.s3Endpoint, ...args],
          { env, timeout: 60_000 },
          (err, stdout, stderr) => resolve({ status: err ? Number(err.code ?? 1) || 1 : 0, stdout, stderr }),
        );
      });
    const cp = await aws(["s3", "cp", file, "s3://any-credentials/AS2/send/ACME-AS2/GLOBEX/"]);
    expect(cp.stderr).not.toMatch(/InvalidAccessKeyId|SignatureDoesNotMatch|error/i);
    expect(cp.status).toBe(0);
    const ls = await aws(["s3", "ls", "s3://any-credentials/AS2/send/ACME-AS2/GLOBEX/"]);
    expect(ls.status).toBe(0);
    expect(ls.stdout).toMatch(/inv 1\.edi/);
    const s3 = new S3Client({
      region: "eu-west-1",
      endpoint: storage.s3Endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
    });
    const got = await s3.send(
      new GetObjectCommand({ Bucket: "any-credentials", Key: "AS2/send/ACME-AS2/GLOBEX/inv 1.edi" }),
    );
    expect(await got.Body!.transformToString()).toBe("UNB+UNOA:2+ACME+GLOBEX'\r\n");
    s3.destroy();
  });
});
