/**
 * What the conservation matrices (send and receive) share: the send harness (local S3 and
 * DynamoDB, mocked Transfer/SQS/EventBridge, a settable clock) behind the counting S3 proxy, with
 * one attempt per S3 call so that an injected S3 failure is the function stopping there.
 */
import { resetClients } from "../../handlers/shared/clients";
import { SendHarness } from "../send/harness";
import { startS3Wire, type S3Wire, type WireRequest } from "./s3-wire";

export interface Matrix {
  h: SendHarness;
  wire: S3Wire;
}

/** Starts the harness and proxy around the suite; the returned object is filled in beforeAll. */
export function useMatrix(layout: "as2gateway" | "mftgateway" = "as2gateway"): Matrix {
  const m = {} as Matrix;
  beforeAll(async () => {
    m.h = await SendHarness.start({ layout });
    m.wire = await startS3Wire(m.h.aws.s3Endpoint);
    process.env.AWS_ENDPOINT_URL_S3 = m.wire.endpoint;
    process.env.AWS_MAX_ATTEMPTS = "1";
    resetClients();
  });
  afterAll(async () => {
    delete process.env.AWS_MAX_ATTEMPTS;
    await m.wire.close();
    await m.h.stop();
  });
  beforeEach(() => {
    m.h.reset();
    m.wire.reset();
    m.wire.versioned = true;
    jest.restoreAllMocks();
    jest.spyOn(process.stdout, "write").mockImplementation(() => true); // the reconciler's metric lines
  });
  return m;
}

/** Arms a fault: the next S3 request matching `when` fails with a 500. */
export function s3Fails(m: Matrix, when: (r: WireRequest) => boolean): () => void {
  return () => m.wire.faults.push({ when, status: 500, code: "InternalError" });
}

/** Arms a crash: the next call of `fn` on `module` throws. */
export function crashIn<M extends object>(module: M, fn: keyof M & string): () => void {
  return () => {
    const spy = jest.spyOn(module as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>, fn);
    spy.mockRejectedValueOnce(new Error(`stopped in ${fn}`));
  };
}

/** Routed (user-facing) keys of the as2gateway layout. */
export const routed = (k: string): boolean => k.startsWith("as2gateway/");

/** Every routed key was written (PutObject/CopyObject that succeeded) at most once. */
export function expectNoOverwrite(m: Matrix): void {
  for (const [k, n] of m.wire.writesPerKey())
    if (routed(k)) expect({ key: k, writes: n }).toEqual({ key: k, writes: 1 });
}
