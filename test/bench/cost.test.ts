import { fmtUsd, messageCost } from "../../bench/lib/cost";
import { PRICES } from "../../bench/lib/prices";

describe("cost per message", () => {
  const usage = {
    s3: { HeadObject: 4, CopyObject: 3, DeleteObject: 2, PutObject: 1 },
    dynamodb: { UpdateItem: 11, GetItem: 7, PutItem: 4 },
    other: { "SQS SendMessage": 1, "EventBridge PutEvents": 1, "Transfer StartFileTransfer": 1 },
    invocations: 4,
    lambdaMs: 1000,
    memoryMb: 512,
    as2Messages: 1,
  };

  it("prices each service from the counts", () => {
    const c = messageCost(usage);
    expect(c.units).toEqual({
      s3Write: 4,
      s3Read: 4,
      dynamoWriteUnits: 15,
      dynamoReadUnits: 7,
      sqsRequests: 12,
      customEvents: 1,
      gbSeconds: 0.5,
    });
    expect(c.per1000.s3).toBeCloseTo(4 * PRICES.s3.perThousandWrite + 4 * PRICES.s3.perThousandRead, 10);
    expect(c.per1000.dynamodb).toBeCloseTo((1000 * (15 * 0.625 + 7 * 0.125)) / 1e6, 10);
    expect(c.per1000.sqs).toBeCloseTo((1000 * 12 * 0.4) / 1e6, 10);
    expect(c.per1000.eventbridge).toBeCloseTo(0.001, 10);
    expect(c.per1000.lambda).toBeCloseTo(1000 * (0.5 * PRICES.lambda.perGbSecondArm + (4 * 0.2) / 1e6), 10);
    expect(c.per1000.gateway).toBeCloseTo(
      c.per1000.lambda + c.per1000.s3 + c.per1000.dynamodb + c.per1000.sqs + c.per1000.eventbridge,
      10,
    );
  });

  it("keeps Transfer's AS2 fee apart from the gateway's cost", () => {
    const c = messageCost(usage);
    expect(c.per1000.transfer).toBe(10);
    expect(c.per1000.gateway).toBeLessThan(1);
    expect(messageCost({ ...usage, as2Messages: 0 }).per1000.gateway).toBe(c.per1000.gateway);
  });

  it("costs nothing for deletes", () => {
    expect(messageCost({ ...usage, s3: { DeleteObject: 1000 } }).per1000.s3).toBe(0);
  });

  it("formats small amounts with enough digits", () => {
    expect(fmtUsd(10)).toBe("$10.00");
    expect(fmtUsd(0.0524)).toBe("$0.052");
    expect(fmtUsd(0.00123)).toBe("$0.0012");
    expect(fmtUsd(NaN)).toBe("–");
  });
});
