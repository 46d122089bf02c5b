import { createHash } from "node:crypto";
import {
  classifyS3Request,
  countByOperation,
  dataBytes,
  describeCounts,
  payloadBytes,
  type CountedRequest,
} from "../../bench/move/s3-requests";
import { stubResponse } from "../../bench/move/aws-stub";

const req = (op: CountedRequest["op"], key: string, requestBytes = 0, responseBytes = 0): CountedRequest => ({
  op,
  bucket: "b",
  key,
  status: 200,
  requestBytes,
  responseBytes,
  ms: 1,
});

describe("S3 request classifier (bench counting proxy)", () => {
  it("names object operations from method, query and headers, with the decoded key", () => {
    expect(classifyS3Request("GET", "/b/AS2/send/ST/P%20Q/a%2Bb.edi", {})).toEqual({
      op: "GetObject",
      bucket: "b",
      key: "AS2/send/ST/P Q/a+b.edi",
    });
    expect(classifyS3Request("HEAD", "/b/k", {}).op).toBe("HeadObject");
    expect(classifyS3Request("PUT", "/b/k?x-id=PutObject", {}).op).toBe("PutObject");
    expect(classifyS3Request("PUT", "/b/k?x-id=CopyObject", { "x-amz-copy-source": "b/src" }).op).toBe("CopyObject");
    expect(classifyS3Request("PUT", "/b/k?partNumber=2&uploadId=u", { "x-amz-copy-source": "b/src" }).op).toBe(
      "UploadPartCopy",
    );
    expect(classifyS3Request("PUT", "/b/k?partNumber=2&uploadId=u", {}).op).toBe("UploadPart");
    expect(classifyS3Request("POST", "/b/k?uploads", {}).op).toBe("CreateMultipartUpload");
    expect(classifyS3Request("POST", "/b/k?uploadId=u", {}).op).toBe("CompleteMultipartUpload");
    expect(classifyS3Request("DELETE", "/b/k?uploadId=u", {}).op).toBe("AbortMultipartUpload");
    expect(classifyS3Request("DELETE", "/b/k", {}).op).toBe("DeleteObject");
    expect(classifyS3Request("GET", "/b/k?tagging", {}).op).toBe("GetObjectTagging");
  });

  it("names bucket operations", () => {
    expect(classifyS3Request("GET", "/b?list-type=2&prefix=AS2%2F", {})).toEqual({
      op: "ListObjectsV2",
      bucket: "b",
      key: "",
    });
    expect(classifyS3Request("GET", "/b/?list-type=2", {}).op).toBe("ListObjectsV2");
    expect(classifyS3Request("POST", "/b?delete", {}).op).toBe("DeleteObjects");
  });

  it("counts object data only on data operations and only on payload keys", () => {
    const reqs = [
      req("GetObject", "AS2/send/ST/P/x.edi", 0, 1000),
      req("PutObject", "AS2/files/ST/P/outbox/t/x.edi", 1000, 0),
      req("CopyObject", "AS2/files/ST/P/outbox/t/x.edi", 0, 186),
      req("PutObject", "AS2/files/ST/P/outbox/t/x.edi.json", 300, 0),
      req("GetObject", "_gateway/config/routing.json", 0, 5000),
    ];
    expect(dataBytes(reqs)).toBe(7300);
    expect(payloadBytes(reqs, (k) => k.includes("x.edi") && !k.endsWith(".json"))).toBe(2000);
    expect(countByOperation(reqs)).toEqual({ GetObject: 2, PutObject: 2, CopyObject: 1 });
    expect(describeCounts(countByOperation(reqs))).toBe("GetObject ×2, PutObject ×2, CopyObject ×1");
  });
});

describe("AWS stub responses", () => {
  it("answers SQS sends with the body's MD5, which the SQS client verifies", () => {
    const r = stubResponse("AmazonSQS.SendMessage", { MessageBody: "hello" });
    expect(r.MD5OfMessageBody).toBe(createHash("md5").update("hello").digest("hex"));
    const b = stubResponse("AmazonSQS.SendMessageBatch", { Entries: [{ Id: "1", MessageBody: "a" }] }) as {
      Successful: { Id: string; MD5OfMessageBody: string }[];
    };
    expect(b.Successful[0]).toMatchObject({ Id: "1", MD5OfMessageBody: createHash("md5").update("a").digest("hex") });
  });

  it("answers StartFileTransfer with a transfer id and PutEvents with one id per entry", () => {
    expect(stubResponse("TransferService.StartFileTransfer", {}).TransferId).toMatch(/^[0-9a-f-]{36}$/);
    expect(stubResponse("AWSEvents.PutEvents", { Entries: [{}, {}] })).toMatchObject({
      FailedEntryCount: 0,
      Entries: [{}, {}],
    });
  });
});
