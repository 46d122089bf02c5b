import {
  auditClients,
  clientName,
  clientsCalledInSource,
  composition,
  originOf,
  packageOf,
  type MetafileLike,
} from "../../bench/lib/metafile";

function meta(inputs: Record<string, number>, imports: Record<string, string[]> = {}): MetafileLike {
  return {
    inputs: Object.fromEntries(
      Object.keys(inputs).map((p) => [
        p,
        { bytes: inputs[p]! * 2, imports: (imports[p] ?? []).map((i) => ({ path: i, original: i })) },
      ]),
    ),
    outputs: {
      "out/index.js.map": { bytes: 1, inputs: {} },
      "out/index.js": {
        bytes: Object.values(inputs).reduce((a, b) => a + b, 0) + 10,
        inputs: Object.fromEntries(Object.entries(inputs).map(([p, n]) => [p, { bytesInOutput: n }])),
      },
    },
  };
}

describe("bundle metafile classifier", () => {
  it("names the package of a path, scoped or not, nested or not", () => {
    expect(packageOf("node_modules/@aws-sdk/client-s3/dist-cjs/index.js")).toBe("@aws-sdk/client-s3");
    expect(packageOf("node_modules/zod/v4/core/core.js")).toBe("zod");
    expect(packageOf("node_modules/@smithy/x/node_modules/@smithy/util-utf8/dist/a.js")).toBe("@smithy/util-utf8");
    expect(packageOf("handlers/send/settle.ts")).toBeUndefined();
  });

  it("sorts inputs into own code, the AWS SDK and other packages", () => {
    expect(originOf("model/layout.ts")).toBe("own");
    expect(originOf("node_modules/@smithy/smithy-client/dist-cjs/index.js")).toBe("aws-sdk");
    expect(originOf("node_modules/@aws-crypto/crc32/build/main/index.js")).toBe("aws-sdk");
    expect(originOf("node_modules/fast-xml-parser/src/fxp.js")).toBe("aws-sdk");
    expect(originOf("node_modules/@aws-lambda-powertools/logger/lib/cjs/Logger.js")).toBe("other");
    expect(originOf("node_modules/zod/index.js")).toBe("other");
  });

  it("sums bytes in the output per origin and per package, ignoring tree-shaken inputs", () => {
    const c = composition(
      meta({
        "handlers/send/settle.ts": 1000,
        "model/layout.ts": 500,
        "model/unused.ts": 0,
        "node_modules/@aws-sdk/client-s3/dist-cjs/index.js": 300000,
        "node_modules/@smithy/core/dist-cjs/index.js": 100000,
        "node_modules/zod/index.js": 40000,
      }),
    );
    expect(c.byOrigin).toEqual({ own: 1500, "aws-sdk": 400000, other: 40000 });
    expect(c.totalBytes).toBe(441510);
    expect(c.byPackage[0]).toEqual({ name: "@aws-sdk/client-s3", origin: "aws-sdk", bytes: 300000 });
    expect(c.clientsInBundle).toEqual(["s3"]);
    expect(c.ownFiles).toEqual(["handlers/send/settle.ts", "model/layout.ts"]);
  });

  it("tells client packages from the rest of the SDK", () => {
    expect(clientName("@aws-sdk/client-eventbridge")).toBe("eventbridge");
    expect(clientName("@aws-sdk/lib-dynamodb")).toBeUndefined();
    expect(clientName("@aws-sdk/nested-clients")).toBeUndefined();
  });

  it("counts a client as called when our code imports a command, paginator, or the aggregated client", () => {
    const src = `
      import { S3Client, CopyObjectCommand, type HeadObjectCommandOutput } from "@aws-sdk/client-s3";
      import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
      import { PutCommand as Put } from "@aws-sdk/lib-dynamodb";
      import type { StartFileTransferCommand } from "@aws-sdk/client-transfer";
      import { SQSClient, SQSServiceException } from "@aws-sdk/client-sqs";
      import { EventBridge } from "@aws-sdk/client-eventbridge";
    `;
    expect(clientsCalledInSource(src)).toEqual(["dynamodb", "eventbridge", "s3"]);
    expect(clientsCalledInSource(`import { paginateListObjectsV2 } from "@aws-sdk/client-s3";`)).toEqual(["s3"]);
    expect(clientsCalledInSource(`import * as sqs from "@aws-sdk/client-sqs";`)).toEqual(["sqs"]);
    expect(clientsCalledInSource(`import { z } from "zod";`)).toEqual([]);
  });

  it("flags a client that is bundled but never called", () => {
    const c = composition(
      meta({
        "handlers/receive/route.ts": 1000,
        "handlers/shared/clients.ts": 200,
        "node_modules/@aws-sdk/client-s3/dist-cjs/index.js": 300000,
        "node_modules/@aws-sdk/client-sqs/dist-cjs/index.js": 80000,
      }),
    );
    const sources: Record<string, string> = {
      "handlers/receive/route.ts": `import { CopyObjectCommand } from "@aws-sdk/client-s3"; import { clients } from "../shared/clients";`,
      "handlers/shared/clients.ts": `import { S3Client } from "@aws-sdk/client-s3"; import { SQSClient } from "@aws-sdk/client-sqs";`,
    };
    const audit = auditClients(c, (f) => sources[f]!);
    expect(audit).toEqual({ inBundle: ["s3", "sqs"], called: ["s3"], unused: ["sqs"] });
  });
});
