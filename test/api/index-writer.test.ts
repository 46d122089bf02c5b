/**
 * The message index writer on dynalite: transitions in any order, duplicates and concurrency never
 * move a message back; user acts stay apart from the pipeline's; pages and filters.
 */
import { UpdateItemCommand, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { startLocalAws, type LocalAws } from "../helpers/local-servers";
import { createIndexTable } from "./index-table";
import { markDeleted, setRead, transitionElement, writeTransition, addFacts } from "../../handlers/api/index-writer";
import { getIndexItem, listMessages, CursorError } from "../../handlers/api/index-reader";
import { visibleState, type IndexTransition, type PipelineState } from "../../model/api/index-model";
import { outboundMessageId } from "../../model/api/ids";

const TABLE = "as2-test-messages";
let aws: LocalAws;
let doc: DynamoDBClient;
const target = () => ({ client: doc, table: TABLE });

beforeAll(async () => {
  aws = await startLocalAws();
  doc = await createIndexTable(aws.ddb, TABLE);
});
afterAll(async () => aws.stop());

let n = 0;
function transition(state: PipelineState, at: string, extra: Partial<IndexTransition> = {}): IndexTransition {
  return {
    id: extra.id ?? outboundMessageId("b", `AS2/send/ST/P/f${n}.txt`, "v:1"),
    direction: "outbound",
    station: "ST",
    partner: "P",
    test: false,
    state,
    at,
    ...extra,
  };
}

describe("transitions", () => {
  it("a late or repeated event never moves a message back", async () => {
    n++;
    const id = transition("queued", "").id;
    const sent = transition("sent", "2026-12-01T10:00:03.000Z", { as2MessageId: "<m@x>" });
    expect(await writeTransition(sent, target())).toBe(true);
    // Delivered late and twice: the queued and sending events of the same message.
    expect(await writeTransition(transition("sending", "2026-12-01T10:00:01.000Z"), target())).toBe(false);
    expect(await writeTransition(transition("queued", "2026-12-01T10:00:00.000Z"), target())).toBe(false);
    expect(await writeTransition(sent, target())).toBe(false);
    const item = await getIndexItem(id, doc, TABLE);
    expect(item).toMatchObject({ state: "sent", as2MessageId: "<m@x>", stateKey: "outbound#sent" });
  });

  it("sending and retrying follow the event time; a success clears the last failure", async () => {
    n++;
    const id = transition("queued", "").id;
    await writeTransition(transition("sending", "2026-12-01T10:00:01.000Z"), target());
    await writeTransition(
      transition("retrying", "2026-12-01T10:00:05.000Z", { failureCode: "HTTP_503", failureReason: "busy" }),
      target(),
    );
    expect(await writeTransition(transition("sending", "2026-12-01T10:00:02.000Z"), target())).toBe(false);
    expect((await getIndexItem(id, doc, TABLE))?.state).toBe("retrying");
    expect(await writeTransition(transition("sending", "2026-12-01T10:00:09.000Z"), target())).toBe(true);
    await writeTransition(transition("sent", "2026-12-01T10:00:10.000Z"), target());
    const item = await getIndexItem(id, doc, TABLE);
    expect(item?.state).toBe("sent");
    expect(item?.failureCode).toBeUndefined();
    // The creation time is the first event's, whatever came later.
    expect(item?.createdAt).toBe("2026-12-01T10:00:01.000Z");
  });

  it("concurrent duplicates apply once", async () => {
    n++;
    const t = transition("failed", "2026-12-01T11:00:00.000Z", { failureCode: "X", failureReason: "why" });
    const results = await Promise.all(Array.from({ length: 8 }, () => writeTransition(t, target())));
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it("the transaction element moves the index forward only, and takes an equal time as a successor", async () => {
    n++;
    const t = transition("sending", "2026-12-01T12:00:00.000Z");
    const element = transitionElement(t, TABLE);
    expect(Object.keys(element)).toEqual(["Update"]);
    // The element's Update runs as the UpdateItem it is (its own condition included).
    const run = async (e: ReturnType<typeof transitionElement>) => {
      try {
        await aws.ddb.send(new UpdateItemCommand(e.Update!));
        return true;
      } catch (err) {
        if ((err as Error).name === "ConditionalCheckFailedException") return false;
        throw err;
      }
    };
    expect(await run(element)).toBe(true);
    expect((await getIndexItem(t.id, doc, TABLE))?.state).toBe("sending");
    expect(await run(transitionElement(transition("retrying", "2026-12-01T12:00:00.000Z"), TABLE))).toBe(true);
    expect((await getIndexItem(t.id, doc, TABLE))?.state).toBe("retrying");
    expect(await run(transitionElement(transition("queued", "2026-12-01T12:00:05.000Z"), TABLE))).toBe(false);
    expect(await run(transitionElement(transition("sending", "2026-12-01T11:59:59.000Z"), TABLE))).toBe(false);
    expect((await getIndexItem(t.id, doc, TABLE))?.state).toBe("retrying");
  });

  it("facts that arrive apart from a state change are added to an existing item only", async () => {
    n++;
    const t = transition("received", "2026-12-01T12:00:00.000Z", {
      direction: "inbound",
      id: "i-000000000000000000000001",
    });
    expect(await addFacts(t.id, { mdn: { status: "sent" } }, target())).toBe(false);
    await writeTransition(t, target());
    expect(await addFacts(t.id, { mdn: { status: "sent", disposition: "processed" } }, target())).toBe(true);
    expect((await getIndexItem(t.id, doc, TABLE))?.mdn).toEqual({ status: "sent", disposition: "processed" });
  });
});

describe("user acts", () => {
  it("read/unread only on a received message, and a late received event keeps it read", async () => {
    const id = "i-00000000000000000000000a";
    const t = transition("received", "2026-12-01T13:00:00.000Z", { direction: "inbound", id });
    expect(await setRead(id, true, target())).toBe(false);
    await writeTransition(t, target());
    expect(await setRead(id, true, target())).toBe(true);
    await writeTransition(t, target());
    expect(visibleState((await getIndexItem(id, doc, TABLE))!)).toBe("read");
    expect(await setRead(id, false, target())).toBe(true);
    expect(visibleState((await getIndexItem(id, doc, TABLE))!)).toBe("received");
    expect(await markDeleted(id, target())).toBe(true);
    expect(await setRead(id, true, target())).toBe(false);
    expect(visibleState((await getIndexItem(id, doc, TABLE))!)).toBe("deleted");
  });
});

describe("lists", () => {
  const routeOf = (i: number) => ({ station: i % 2 ? "S1" : "S2", partner: i % 3 ? "PA" : "PB" });
  beforeAll(async () => {
    for (let i = 0; i < 60; i++) {
      const at = new Date(Date.UTC(2026, 10, 1, 0, i)).toISOString();
      await writeTransition(
        {
          id: `i-${String(i).padStart(24, "0")}`.replace(/^i-0/, "i-f"),
          direction: "inbound",
          ...routeOf(i),
          test: false,
          state: "received",
          at,
        },
        target(),
      );
    }
  });

  async function all(q: Parameters<typeof listMessages>[0]) {
    const out: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await listMessages({ ...q, ...(cursor ? { cursor } : {}) }, doc, TABLE);
      expect(page.items.length).toBeLessThanOrEqual(q.limit);
      out.push(...page.items.map((i) => i.pk));
      cursor = page.nextCursor;
    } while (cursor);
    return out;
  }

  it("pages newest first through every filter without loss or repetition", async () => {
    const everything = await all({ direction: "inbound", station: "S1", limit: 7 });
    expect(new Set(everything).size).toBe(everything.length);
    expect(everything).toHaveLength(30);
    const route = await all({ direction: "inbound", station: "S1", partner: "PB", limit: 4 });
    expect(route).toHaveLength(10);
    const window = await all({
      direction: "inbound",
      station: "S2",
      from: "2026-11-01T00:10:00.000Z",
      to: "2026-11-01T00:19:00.000Z",
      limit: 3,
    });
    expect(window).toHaveLength(5);
    const allowed = await all({ direction: "inbound", stations: ["S2"], limit: 50 });
    expect(allowed).toHaveLength(30);
  });

  it("refuses a cursor of another query", async () => {
    const page = await listMessages({ direction: "inbound", station: "S1", limit: 2 }, doc, TABLE);
    await expect(
      listMessages({ direction: "inbound", station: "S2", limit: 2, cursor: page.nextCursor! }, doc, TABLE),
    ).rejects.toBeInstanceOf(CursorError);
    await expect(
      listMessages({ direction: "inbound", limit: 2, cursor: "garbage" }, doc, TABLE),
    ).rejects.toBeInstanceOf(CursorError);
  });
});
