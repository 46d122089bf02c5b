/**
 * Routing integrity end to end at handler level: the real receive handler, s3rver and dynalite, a
 * routing document whose digest the environment names (as every synthesized function's does).
 * A tampered document routes nothing: the work waits (the invocation fails, so SQS retries and
 * then dead-letters it), the file stays where Transfer put it, and the refusal is logged with the
 * mark the metric filter counts (the alarm is tested on the synthesized stack below).
 */
import { startLocalAws, type LocalAws } from "../helpers/local-servers";
import { ROUTING_DOCUMENT_KEY } from "../../model/layout";
import { ROUTING_INTEGRITY_LOG_MARK, routingDigest, routingIntegrityProblem } from "../../model/routing-integrity";
import { logger } from "../../handlers/shared/logger";
import { forgetRouting, loadRouting, RoutingIntegrityError } from "../../handlers/shared/routing-loader";
import {
  acceptAllEvents,
  invoke,
  list,
  payloadCompleted,
  publishedEvents,
  put,
  read,
  setUpCustomer,
  storedKey,
  userKeys,
  type TestCustomer,
} from "../receive/harness";
import { customerInput, SAMPLE_CERT_PEM } from "../helpers/customer-factory";
import { synthCustomer, type Tf } from "../stacks/helpers";

const MSG = "<integrity-1@partner.example>";
const cert = { signing: { pem: SAMPLE_CERT_PEM } };

describe("routing digest", () => {
  it("accepts the exact text the stack wrote and refuses any other, or a malformed expectation", () => {
    const text = '{"version":1}';
    expect(routingIntegrityProblem(text, routingDigest(text))).toBeUndefined();
    expect(routingIntegrityProblem(`${text} `, routingDigest(text))).toMatch(
      /^its SHA-256 is [0-9a-f]{64}, the stack wrote/,
    );
    expect(routingIntegrityProblem(text, "${sha256(local.x)}")).toMatch(/is not a SHA-256/);
    // Terraform's sha256() is the hex SHA-256 of the UTF-8 text (FIPS 180-2 test vector "abc").
    expect(routingDigest("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });
});

describe("a receive handler with a tampered routing document", () => {
  let aws: LocalAws;
  beforeAll(async () => {
    aws = await startLocalAws();
  });
  afterAll(() => aws.stop());
  beforeEach(() => acceptAllEvents());
  afterEach(() => {
    delete process.env.ROUTING_SHA256;
    jest.restoreAllMocks();
  });

  const partners = {
    partners: [
      { as2Id: "GOOD", station: "ACME", url: "https://good.example/as2", certificates: cert },
      { as2Id: "OTHER", station: "ACME", url: "https://other.example/as2", certificates: cert },
    ],
  };

  async function received(c: TestCustomer) {
    const p = c.partner("GOOD");
    const key = storedKey(p, "order.edi", MSG);
    await put(aws, c.bucket, key, "ISA*00*...");
    return { key, event: payloadCompleted(c, p, { messageId: MSG, fileKey: key, requesterFileName: "order.edi" }) };
  }

  /** The handler's answer: the SQS ids to retry, or "threw" (the whole batch is retried). */
  async function outcome(event: unknown): Promise<string[] | "threw"> {
    try {
      return (await invoke(event)).batchItemFailures.map((f) => f.itemIdentifier);
    } catch {
      return "threw";
    }
  }

  it("routes by the document the stack wrote (digest in the environment)", async () => {
    const c = await setUpCustomer(aws, partners);
    process.env.ROUTING_SHA256 = routingDigest((await read(aws, c.bucket, ROUTING_DOCUMENT_KEY))!);
    forgetRouting();
    const { event } = await received(c);
    expect(await outcome(event)).toEqual([]);
    expect((await userKeys(aws, c.bucket)).some((k) => k.includes("/GOOD/inbox/"))).toBe(true);
  });

  it("routes nothing by a document remapped under _gateway/, keeps the file and logs the refusal", async () => {
    const c = await setUpCustomer(aws, partners);
    const original = (await read(aws, c.bucket, ROUTING_DOCUMENT_KEY))!;
    process.env.ROUTING_SHA256 = routingDigest(original);
    // An attacker with write access under _gateway/ points GOOD's agreement at OTHER.
    const doc = JSON.parse(original);
    const good = doc.partners.find((p: { partner: string }) => p.partner === "GOOD");
    const other = doc.partners.find((p: { partner: string }) => p.partner === "OTHER");
    [good.agreementId, other.agreementId] = [other.agreementId, good.agreementId];
    await put(aws, c.bucket, ROUTING_DOCUMENT_KEY, JSON.stringify(doc));
    forgetRouting();
    const errors = jest.spyOn(logger, "error");
    const { key, event } = await received(c);

    const result = await outcome(event);
    expect(result === "threw" || result.length === 1).toBe(true);
    expect(await userKeys(aws, c.bucket)).toEqual([]);
    expect(await list(aws, c.bucket, key)).toEqual([key]);
    expect(publishedEvents()).toEqual([]);
    expect(errors.mock.calls.some(([m]) => String(m).startsWith(`${ROUTING_INTEGRITY_LOG_MARK}: `))).toBe(true);
    await expect(loadRouting(aws.s3)).rejects.toBeInstanceOf(RoutingIntegrityError);
  });
});

describe("the stack embeds the digest and alarms on refusals", () => {
  const { tf } = synthCustomer(customerInput(partnersInput()));
  function partnersInput() {
    return { partners: [{ as2Id: "P", station: "ACME", url: "https://p.example/as2", certificates: cert }] };
  }
  const contentLocal = (t: Tf) => {
    const [id] = Object.entries(t.resource.aws_s3_object!).find(([, o]) => o.key === ROUTING_DOCUMENT_KEY)!;
    return String(t.resource.aws_s3_object![id].content).replace(/^\$\{(.*)\}$/, "$1");
  };

  it("gives every function that reads the document the SHA-256 of the exact content written", () => {
    const local = contentLocal(tf);
    expect(local).toMatch(/^local\./);
    const readers = Object.values(tf.resource.aws_lambda_function!).filter(
      (f) => f.environment.variables.ROUTING_KEY === ROUTING_DOCUMENT_KEY,
    );
    expect(readers.length).toBeGreaterThanOrEqual(4);
    for (const f of readers) expect(f.environment.variables.ROUTING_SHA256).toBe(`\${sha256(${local})}`);
  });

  it("writes the document after the bucket policy that lets the deployer write under _gateway/", () => {
    const doc = Object.values(tf.resource.aws_s3_object!).find((o) => o.key === ROUTING_DOCUMENT_KEY)!;
    const [policyId] = Object.keys(tf.resource.aws_s3_bucket_policy!);
    expect(doc.depends_on).toEqual([`aws_s3_bucket_policy.${policyId}`]);
  });

  it("counts the refusal mark in every reader's log group into one metric, alarmed at the first", () => {
    const filters = Object.values(tf.resource.aws_cloudwatch_log_metric_filter!).filter(
      (f) => f.metric_transformation.name === "RoutingIntegrityFailures",
    );
    const groups = Object.entries(tf.resource.aws_cloudwatch_log_group!)
      .filter(([, g]) => String(g.name).startsWith("/aws/lambda/"))
      .map(([id]) => `\${aws_cloudwatch_log_group.${id}.name}`)
      .sort();
    expect(filters.map((f) => f.log_group_name).sort()).toEqual(groups);
    for (const f of filters) {
      expect(f.pattern).toBe(`"${ROUTING_INTEGRITY_LOG_MARK}"`);
      expect(f.metric_transformation).toEqual({
        name: "RoutingIntegrityFailures",
        namespace: "as2-transfer-gateway/acme",
        value: "1",
      });
    }
    const alarm = Object.values(tf.resource.aws_cloudwatch_metric_alarm!).find(
      (a) => a.metric_name === "RoutingIntegrityFailures",
    );
    expect(alarm).toMatchObject({
      namespace: "as2-transfer-gateway/acme",
      statistic: "Sum",
      threshold: 0,
      comparison_operator: "GreaterThanThreshold",
      alarm_actions: [expect.stringMatching(/^\$\{aws_sns_topic\./)],
    });
  });
});
