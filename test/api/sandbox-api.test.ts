/**
 * The REST API in the sandbox: the real Lambda bundle behind the local HTTP front, on the example
 * customer (which enables the API). Each answer is checked against templates/openapi.json.
 */
import { startExampleSandbox, type ExampleSandbox } from "../helpers/example-sandbox";
import { conforms } from "./harness";
import { SANDBOX_API_KEYS } from "../../sandbox/api/http-front";
import { sendPrefix } from "../../model/layout";

let x: ExampleSandbox;
beforeAll(async () => {
  x = await startExampleSandbox("api-sandbox");
}, 180_000);
afterAll(async () => x?.sb.stop());

const [FULL, READ] = SANDBOX_API_KEYS.map((k) => k.key) as [string, string];

async function call(method: string, path: string, opts: { key?: string; body?: unknown } = {}) {
  const r = await fetch(`${x.sb.api!.url}${path}`, {
    method,
    headers: {
      ...(opts.key ? { "x-api-key": opts.key } : {}),
      ...(opts.body !== undefined ? { "content-type": "application/json" } : {}),
    },
    ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
  });
  const body = (await r.json()) as Record<string, unknown>;
  if (r.status !== 401) conforms(method, path.split("?")[0]!, r.status, r.headers.get("content-type") ?? "", body);
  return { status: r.status, body };
}

it("the banner prints the API's URL and a test key", () => {
  expect(x.lines.join("\n")).toContain(`REST API ${x.sb.api!.url}/v1`);
});

it("refuses a call without a test key, and a send with the read-only key", async () => {
  expect((await call("GET", "/v1/outbox")).status).toBe(401);
  const send = { station: "ACME-AS2", partner: "GLOBEX", files: [{ fileName: "a.txt", contentBase64: "YQ==" }] };
  expect((await call("POST", "/v1/messages", { key: READ, body: send })).body).toMatchObject({ code: "MISSING_SCOPE" });
});

it("sends a file through the API into the send folder and shows it queued in the outbox", async () => {
  const r = await call("POST", "/v1/messages", {
    key: FULL,
    body: {
      station: "ACME-AS2",
      partner: "GLOBEX",
      files: [{ fileName: "api-invoice.xml", contentBase64: "PEludm9pY2UvPg==" }],
    },
  });
  expect(r.status).toBe(202);
  const id = (r.body.messages as { id: string }[])[0]!.id;
  const outbox = await call("GET", "/v1/outbox?station=ACME-AS2", { key: FULL });
  expect((outbox.body.items as { id: string }[]).map((i) => i.id)).toContain(id);
  expect(x.lines.join("\n")).not.toContain("FunctionError");
  expect(sendPrefix({ station: "ACME-AS2", partner: "GLOBEX", test: false })).toBe("AS2/send/ACME-AS2/GLOBEX/");
});

/** Polls until `check` holds (the pipeline works asynchronously); fails with the sandbox log. */
async function eventually<T>(what: string, read: () => Promise<T>, check: (v: T) => boolean, seconds = 45): Promise<T> {
  const until = Date.now() + seconds * 1000;
  for (;;) {
    const v = await read();
    if (check(v)) return v;
    if (Date.now() > until) throw new Error(`${what}: not reached in ${seconds}s\n${x.lines.slice(-40).join("\n")}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

it("a received message lists as unread, downloads, is marked read and deleted", async () => {
  await x.sb.sendInbound("GLOBEX", "order-4711.edi", Buffer.from("UNA:+.? 'UNB+UNOC:3'"));
  const inbox = await eventually(
    "received message in GET /v1/inbox?unread=true",
    () => call("GET", "/v1/inbox?unread=true&partner=GLOBEX&station=ACME-AS2", { key: FULL }),
    (r) => (r.body.items as unknown[]).length > 0,
  );
  const id = (inbox.body.items as { id: string }[])[0]!.id;
  const files = await call("GET", `/v1/messages/${id}/files`, { key: READ });
  const url = (files.body.items as { url: string }[])[0]!.url;
  expect(await (await fetch(url)).text()).toBe("UNA:+.? 'UNB+UNOC:3'");
  expect((await call("PATCH", `/v1/messages/${id}`, { key: READ, body: { read: true } })).body).toMatchObject({
    state: "read",
  });
  const unread = await call("GET", "/v1/inbox?unread=true&partner=GLOBEX&station=ACME-AS2", { key: FULL });
  expect((unread.body.items as { id: string }[]).map((i) => i.id)).not.toContain(id);
  expect((await call("DELETE", `/v1/messages/${id}`, { key: READ })).status).toBe(403);
  expect((await call("DELETE", `/v1/messages/${id}`, { key: FULL })).body).toMatchObject({ state: "deleted" });
});

it("a file sent with POST /v1/messages reaches the partner, shows as sent with its MDN, and the MDN downloads", async () => {
  const r = await call("POST", "/v1/messages", {
    key: FULL,
    body: {
      station: "ACME-AS2",
      partner: "GLOBEX",
      files: [{ fileName: "api-order.xml", contentBase64: Buffer.from("<Order/>").toString("base64") }],
    },
  });
  expect(r.status).toBe(202);
  const id = (r.body.messages as { id: string }[])[0]!.id;
  const sent = await eventually(
    "the API's message sent in GET /v1/messages/{id}",
    () => call("GET", `/v1/messages/${id}`, { key: READ }),
    (m) => m.body.state === "sent",
    40,
  ).catch(async (e: Error) => {
    const now = await call("GET", `/v1/messages/${id}`, { key: READ });
    const all = await call("GET", "/v1/outbox", { key: READ });
    throw new Error(`${e.message}\nNOW ${JSON.stringify(now.body)}\nALL ${JSON.stringify(all.body)}`);
  });
  expect(sent.body).toMatchObject({ direction: "outbound", station: "ACME-AS2", partner: "GLOBEX", state: "sent" });
  const outbox = await call("GET", "/v1/outbox?station=ACME-AS2&partner=GLOBEX&state=sent", { key: READ });
  expect((outbox.body.items as { id: string }[]).map((i) => i.id)).toContain(id);
  const mdn = await call("GET", `/v1/messages/${id}/mdn`, { key: READ });
  expect(mdn.status).toBe(200);
  const text = await (await fetch(mdn.body.url as string)).text();
  expect(text.toLowerCase()).toContain("disposition");
}, 150_000);
