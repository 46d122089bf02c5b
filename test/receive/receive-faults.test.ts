/**
 * Failure paths of the receive handler that the local S3 server cannot produce (it ignores
 * conditional requests): 412 answers injected into the handler's own S3 client, EventBridge
 * refusals from aws-sdk-client-mock, and an MDN event racing the payload. Everything still runs
 * through the real handler against s3rver and dynalite.
 */
import { PutEventsCommand } from "@aws-sdk/client-eventbridge";
import type { LocalAws } from "../helpers/local-servers";
import { s3Client } from "../../handlers/shared/clients";
import { getItem } from "../../handlers/shared/ledger";
import { messagePk, updateMessage } from "../../handlers/receive/message-index";
import { sanitizeFileName } from "../../handlers/receive/file-name";
import {
  acceptAllEvents,
  eventBridge,
  invoke,
  list,
  mdnSent,
  payloadCompleted,
  publishedEvents,
  put,
  read,
  readJson,
  setUpCustomer,
  startReceiveAws,
  storedKey,
  userKeys,
  type TestCustomer,
} from "./harness";

let aws: LocalAws;
beforeAll(async () => {
  aws = await startReceiveAws();
});
afterAll(() => aws.stop());
beforeEach(() => acceptAllEvents());

const START = "2026-11-22T17:54:32.123Z";
const INBOX = "as2gateway/ACME/PARTNER/inbox/";

function preconditionFailed(): Error {
  return Object.assign(new Error("At least one of the pre-conditions you specified did not hold"), {
    name: "PreconditionFailed",
    $metadata: { httpStatusCode: 412 },
  });
}

/** Answers 412 to the handler's S3 requests that `matches` picks, `times` times. */
async function with412<T>(
  matches: (command: string, input: Record<string, any>) => boolean,
  times: number,
  run: () => Promise<T>,
): Promise<{ result: T; injected: number }> {
  const s3 = s3Client();
  let injected = 0;
  s3.middlewareStack.add(
    (next, context) => async (args) => {
      if (injected < times && matches(context.commandName ?? "", args.input as Record<string, any>)) {
        injected++;
        throw preconditionFailed();
      }
      return next(args);
    },
    { step: "initialize", name: "inject412" },
  );
  try {
    return { result: await run(), injected };
  } finally {
    s3.middlewareStack.remove("inject412");
  }
}

async function received(c: TestCustomer, fileName: string, messageId: string, body: string, start = START) {
  const p = c.partner("PARTNER");
  const key = storedKey(p, fileName, messageId);
  await put(aws, c.bucket, key, body);
  return { key, event: payloadCompleted(c, p, { messageId, fileKey: key, requesterFileName: fileName, start }) };
}

describe("412 Precondition Failed", () => {
  it("on the copy (the payload changed under us): nothing lands in inbox/, the source stays, the retry routes it once", async () => {
    const c = await setUpCustomer(aws, { layout: "as2gateway" });
    const { key, event } = await received(c, "a.edi", "m1@p", "bytes");
    const { result, injected } = await with412(
      (cmd, input) => cmd === "CopyObjectCommand" && String(input.Key).startsWith(INBOX),
      1,
      () => invoke(event),
    );
    expect(injected).toBe(1);
    expect(result.batchItemFailures).toHaveLength(1);
    expect(await userKeys(aws, c.bucket)).toEqual([]);
    expect(await read(aws, c.bucket, key)).toBe("bytes");
    expect(publishedEvents()).toEqual([]);

    expect(await invoke(event)).toEqual({ batchItemFailures: [] });
    expect(await userKeys(aws, c.bucket)).toEqual([`${INBOX}_as2/a.edi.json`, `${INBOX}a.edi`]);
    expect(await read(aws, c.bucket, key)).toBeUndefined();
    expect(publishedEvents()).toHaveLength(1);
  });

  it("on the delete (a new object replaced the source after the copy): the copy is kept and so is the newer source", async () => {
    const c = await setUpCustomer(aws, { layout: "as2gateway" });
    const { key, event } = await received(c, "b.edi", "m2@p", "first");
    const { result, injected } = await with412(
      (cmd, input) => cmd === "DeleteObjectCommand" && input.Key === key,
      1,
      () => invoke(event),
    );
    expect(injected).toBe(1);
    expect(result).toEqual({ batchItemFailures: [] });
    expect(await read(aws, c.bucket, `${INBOX}b.edi`)).toBe("first");
    expect(await read(aws, c.bucket, key)).toBe("first");
    expect((await readJson(aws, c.bucket, `${INBOX}_as2/b.edi.json`)).as2MessageId).toBe("m2@p");
  });

  it("on discarding an identical resend: the resend is kept and the event retried", async () => {
    const c = await setUpCustomer(aws, { layout: "as2gateway" });
    expect(await invoke((await received(c, "c.edi", "m3@p", "same")).event)).toEqual({ batchItemFailures: [] });
    const resend = await received(c, "c.edi", "m3@p", "same", "2026-11-22T19:00:00.000Z");
    const { result } = await with412(
      (cmd, input) => cmd === "DeleteObjectCommand" && input.Key === resend.key,
      1,
      () => invoke(resend.event),
    );
    expect(result.batchItemFailures).toHaveLength(1);
    expect(await read(aws, c.bucket, resend.key)).toBe("same");
    expect(await invoke(resend.event)).toEqual({ batchItemFailures: [] });
    expect(await read(aws, c.bucket, resend.key)).toBeUndefined();
    expect((await userKeys(aws, c.bucket)).filter((k) => k.endsWith(".edi"))).toEqual([`${INBOX}c.edi`]);
  });
});

describe("EventBridge", () => {
  it("a refused domain event fails the message; the retry publishes the same eventId and routes nothing twice", async () => {
    const c = await setUpCustomer(aws, { layout: "as2gateway" });
    const { event } = await received(c, "d.edi", "m4@p", "payload");
    let refuse = true;
    eventBridge.on(PutEventsCommand).callsFake(async (input) => {
      if (refuse) {
        refuse = false;
        throw Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException" });
      }
      return { FailedEntryCount: 0, Entries: (input.Entries ?? []).map(() => ({ EventId: "eb" })) };
    });
    expect((await invoke(event)).batchItemFailures).toHaveLength(1);
    expect((await getItem(messagePk(c.partner("PARTNER").agreementId, "m4@p")))?.state).toBe("routing");
    expect(await invoke(event)).toEqual({ batchItemFailures: [] });
    const calls = publishedEvents();
    expect(calls).toHaveLength(2);
    expect(calls[0]!.eventId).toBe(calls[1]!.eventId);
    expect(await userKeys(aws, c.bucket)).toEqual([`${INBOX}_as2/d.edi.json`, `${INBOX}d.edi`]);
    expect((await getItem(messagePk(c.partner("PARTNER").agreementId, "m4@p")))?.state).toBe("received");
  });
});

describe("ordering", () => {
  it("an MDN event while the payload is being routed is retried, then recorded", async () => {
    const c = await setUpCustomer(aws, { layout: "as2gateway" });
    const p = c.partner("PARTNER");
    const { event } = await received(c, "e.edi", "m5@p", "payload");
    expect(await invoke(event)).toEqual({ batchItemFailures: [] });
    const pk = messagePk(p.agreementId, "m5@p");
    const occurrence = (await getItem(pk))!.occurrence;
    // Another delivery holds the message (as if an invocation were routing it right now).
    const held = { leaseId: "another-invocation", leaseUntil: new Date(Date.now() + 60_000).toISOString() };
    expect(await updateMessage(pk, { state: "routing", ...held }, { state: "received" })).toBe(true);
    const mdn = mdnSent(c, p, { messageId: "m5@p", fileKey: storedKey(p, "e.edi", "m5@p"), failed: true });
    expect((await invoke(mdn)).batchItemFailures).toHaveLength(1);
    expect(
      await updateMessage(
        pk,
        { state: "received", leaseId: undefined, leaseUntil: undefined },
        { state: "routing", occurrence },
      ),
    ).toBe(true);
    expect(await invoke(mdn)).toEqual({ batchItemFailures: [] });
    expect((await readJson(aws, c.bucket, `${INBOX}_as2/e.edi.json`)).mdn.status).toBe("failed");
  });

  it("an event for an agreement the routing document does not know fails with a clear reason and touches nothing", async () => {
    const c = await setUpCustomer(aws);
    const p = c.partner("PARTNER");
    const key = storedKey(p, "x.edi", "m6@p");
    await put(aws, c.bucket, key, "x");
    const event = payloadCompleted(c, p, { messageId: "m6@p", fileKey: key, agreementId: "a-unknown", start: START });
    const { processTransferEvent } = await import("../../handlers/receive/process-event");
    const { defaultContext } = await import("../../handlers/receive/handler");
    await expect(processTransferEvent(await defaultContext(), event)).rejects.toThrow(
      /agreement a-unknown is not in the routing document of customer acme/,
    );
    expect((await invoke(event)).batchItemFailures).toHaveLength(1);
    expect(await list(aws, c.bucket, p.inboundPrefix)).toEqual([key]);
  });
});

describe("file names", () => {
  it.each([
    ["invoice.edi", "invoice.edi"],
    ["../../etc/passwd", "passwd"],
    ["C:\\Users\\bob\\order 1.xml", "order 1.xml"],
    ["..", undefined],
    ["...", undefined],
    ["a\u0000b\u001fc\u007f.txt", "abc.txt"],
    ["evil\u202Etxt.exe", "eviltxt.exe"],
    ["  spaced  ", "spaced"],
    ["dir/", undefined],
  ])("%j → %j", (raw, expected) => {
    expect(sanitizeFileName(raw)).toBe(expected);
  });

  it("bounds the length in UTF-8 bytes and keeps the extension", () => {
    const name = sanitizeFileName(`${"ü".repeat(300)}.edi`)!;
    expect(Buffer.byteLength(name)).toBeLessThanOrEqual(200);
    expect(name.endsWith("ü.edi")).toBe(true);
  });
});

describe("SSE-KMS on an unversioned bucket: the MDN copy's ETag is no digest of its bytes", () => {
  /** CopyObject and HeadObject of `mdn` answer as under SSE-KMS: another ETag on the copy, checksums given. */
  async function asKms<T>(mdn: string, sourceChecksum: string, run: () => Promise<T>): Promise<T> {
    const s3 = s3Client();
    s3.middlewareStack.add(
      (next, context) => async (args) => {
        const input = args.input as Record<string, any>;
        const out = await next(args);
        const output = out.output as Record<string, any>;
        if (context.commandName === "CopyObjectCommand" && String(input.CopySource).endsWith(".mdn")) {
          output.ServerSideEncryption = "aws:kms";
          output.CopyObjectResult = { ...output.CopyObjectResult, ETag: '"kms-etag"', ChecksumCRC64NVME: "c1" };
        }
        if (context.commandName === "HeadObjectCommand" && input.Key === mdn) output.ChecksumCRC64NVME = sourceChecksum;
        return out;
      },
      { step: "initialize", name: "asKms" },
    );
    try {
      return await run();
    } finally {
      s3.middlewareStack.remove("asKms");
    }
  }

  it.each([
    ["the source's checksum is the copy's: the MDN leaves the base directory", "c1", false],
    ["the source's checksum differs (a new MDN meanwhile): it stays", "c2", true],
  ])("%s", async (_name, checksum, stays) => {
    const c = await setUpCustomer(aws, { layout: "as2gateway" });
    const { key, event } = await received(c, `kms-${checksum}.edi`, `kms-${checksum}@p`, "bytes");
    await put(aws, c.bucket, `${key}.mdn`, "MDN");
    const result = await asKms(`${key}.mdn`, checksum, () => invoke(event));
    expect(result).toEqual({ batchItemFailures: [] });
    expect(await read(aws, c.bucket, `${INBOX}_as2/kms-${checksum}.edi.mdn`)).toBe("MDN");
    expect(await read(aws, c.bucket, `${key}.mdn`)).toBe(stays ? "MDN" : undefined);
  });
});
