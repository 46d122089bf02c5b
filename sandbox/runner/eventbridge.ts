/**
 * EventBridge for the sandbox: the buses, rules (event patterns and schedules) and targets the
 * stack declares, plus the PutEvents API (AWS JSON 1.1, AWSEvents.PutEvents) that handlers publish
 * domain events through (AWS_ENDPOINT_URL_EVENTBRIDGE).
 */
import { randomUUID } from "node:crypto";
import { createServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface BusEvent {
  readonly version?: string;
  readonly id: string;
  readonly "detail-type": string;
  readonly source: string;
  readonly account: string;
  readonly time: string;
  readonly region: string;
  readonly resources: readonly string[];
  readonly detail: unknown;
}

export interface RuleTarget {
  readonly arn: string;
  readonly input?: string;
  readonly inputPath?: string;
  readonly inputTransformer?: { readonly inputPaths?: Record<string, string>; readonly inputTemplate: string };
}

export interface Rule {
  readonly name: string;
  readonly bus: string;
  readonly pattern?: unknown;
  readonly schedule?: string;
  readonly enabled: boolean;
  readonly targets: RuleTarget[];
}

/** Delivers an event to a target ARN (SQS queue, Lambda function, ...). */
export type Deliver = (target: RuleTarget, payload: string, event: BusEvent, rule: Rule) => Promise<void>;

// ------------------------------------------------------------------ pattern matching

function matchValue(value: unknown, pattern: unknown): boolean {
  if (pattern === null || typeof pattern !== "object") return value === pattern;
  const p = pattern as Record<string, unknown>;
  if ("prefix" in p) {
    const pre = p["prefix"];
    if (typeof pre === "object" && pre && "equals-ignore-case" in pre)
      return (
        typeof value === "string" &&
        value.toLowerCase().startsWith(String((pre as Record<string, unknown>)["equals-ignore-case"]).toLowerCase())
      );
    return typeof value === "string" && value.startsWith(String(pre));
  }
  if ("suffix" in p) return typeof value === "string" && value.endsWith(String(p["suffix"]));
  if ("equals-ignore-case" in p)
    return typeof value === "string" && value.toLowerCase() === String(p["equals-ignore-case"]).toLowerCase();
  if ("wildcard" in p) {
    const re = new RegExp(
      `^${String(p["wildcard"])
        .split("*")
        .map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
        .join(".*")}$`,
    );
    return typeof value === "string" && re.test(value);
  }
  if ("anything-but" in p) {
    const ab = p["anything-but"];
    if (Array.isArray(ab)) return !ab.some((x) => matchValue(value, x));
    if (ab && typeof ab === "object") return !matchValue(value, ab);
    return value !== ab;
  }
  if ("numeric" in p) {
    const cond = p["numeric"] as unknown[];
    if (typeof value !== "number") return false;
    for (let i = 0; i + 1 < cond.length; i += 2) {
      const op = cond[i];
      const n = Number(cond[i + 1]);
      const ok =
        op === "="
          ? value === n
          : op === "<"
            ? value < n
            : op === "<="
              ? value <= n
              : op === ">"
                ? value > n
                : op === ">="
                  ? value >= n
                  : false;
      if (!ok) return false;
    }
    return true;
  }
  if ("cidr" in p) return false;
  return false;
}

/** EventBridge event-pattern matching (exact values, prefix/suffix, anything-but, exists, numeric, $or). */
export function matchesPattern(event: unknown, pattern: unknown): boolean {
  if (!pattern || typeof pattern !== "object") return false;
  for (const [key, sub] of Object.entries(pattern as Record<string, unknown>)) {
    if (key === "$or") {
      if (!(sub as unknown[]).some((alt) => matchesPattern(event, alt))) return false;
      continue;
    }
    const value = event && typeof event === "object" ? (event as Record<string, unknown>)[key] : undefined;
    if (Array.isArray(sub)) {
      const values = Array.isArray(value) ? value : [value];
      const ok = sub.some((cond) => {
        if (cond && typeof cond === "object" && "exists" in (cond as Record<string, unknown>)) {
          return (cond as { exists: boolean }).exists ? value !== undefined : value === undefined;
        }
        return value !== undefined && values.some((v) => matchValue(v, cond));
      });
      if (!ok) return false;
    } else if (sub && typeof sub === "object") {
      if (value === undefined || value === null || typeof value !== "object") return false;
      if (!matchesPattern(value, sub)) return false;
    } else return false;
  }
  return true;
}

function jsonPath(event: unknown, path: string): unknown {
  if (path === "$") return event;
  let cur: unknown = event;
  for (const part of path.replace(/^\$\.?/, "").split(".")) {
    if (cur && typeof cur === "object") cur = (cur as Record<string, unknown>)[part];
    else return undefined;
  }
  return cur;
}

/** What a target receives: the event, or its Input / InputPath / InputTransformer. */
export function targetPayload(target: RuleTarget, event: BusEvent): string {
  if (target.input !== undefined) return target.input;
  if (target.inputPath) return JSON.stringify(jsonPath(event, target.inputPath));
  if (target.inputTransformer) {
    const vars: Record<string, unknown> = {};
    for (const [k, p] of Object.entries(target.inputTransformer.inputPaths ?? {})) vars[k] = jsonPath(event, p);
    return target.inputTransformer.inputTemplate.replace(/<([A-Za-z0-9_.-]+)>/g, (m, k: string) => {
      if (k === "aws.events.event.json") return JSON.stringify(event);
      const v = vars[k];
      return v === undefined ? m : typeof v === "string" ? v : JSON.stringify(v);
    });
  }
  return JSON.stringify(event);
}

/** `rate(5 minutes)` → milliseconds; cron expressions are not run by the sandbox. */
export function rateMs(expression: string): number | undefined {
  const m = /^rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)$/.exec(expression.trim());
  if (!m) return undefined;
  const unit = m[2]!.startsWith("minute") ? 60_000 : m[2]!.startsWith("hour") ? 3_600_000 : 86_400_000;
  return Number(m[1]) * unit;
}

export class LocalEventBridge {
  readonly rules: Rule[] = [];
  private server?: Server;
  private timers: NodeJS.Timeout[] = [];
  endpoint = "";
  /** Every event put on a bus, for the summary and tests. */
  readonly seen: Array<{ bus: string; event: BusEvent; matched: string[] }> = [];

  constructor(
    private readonly ctx: { account: string; region: string },
    private readonly deliver: Deliver,
    private readonly timeScale = 1,
  ) {}

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", () => resolve()));
    this.endpoint = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    for (const rule of this.rules) {
      if (!rule.schedule || !rule.enabled) continue;
      const ms = rateMs(rule.schedule);
      if (ms === undefined) continue;
      this.timers.push(setInterval(() => void this.fireSchedule(rule), Math.max(1000, ms / this.timeScale)));
    }
    return this.endpoint;
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }

  /** Runs a scheduled rule now (the sandbox triggers sweeps on demand too). */
  async fireSchedule(rule: Rule): Promise<void> {
    const event: BusEvent = {
      version: "0",
      id: randomUUID(),
      "detail-type": "Scheduled Event",
      source: "aws.events",
      account: this.ctx.account,
      time: new Date().toISOString(),
      region: this.ctx.region,
      resources: [`arn:aws:events:${this.ctx.region}:${this.ctx.account}:rule/${rule.name}`],
      detail: {},
    };
    await Promise.all(rule.targets.map((t) => this.deliver(t, targetPayload(t, event), event, rule)));
  }

  /** Puts an event on a bus and delivers it to every matching rule's targets. */
  async put(bus: string, event: BusEvent): Promise<void> {
    const matched = this.rules.filter(
      (r) => r.enabled && r.bus === bus && r.pattern !== undefined && matchesPattern(event, r.pattern),
    );
    this.seen.push({ bus, event, matched: matched.map((r) => r.name) });
    await Promise.all(matched.flatMap((r) => r.targets.map((t) => this.deliver(t, targetPayload(t, event), event, r))));
  }

  /** PutEvents entries (as the API takes them, Detail a JSON string) onto their buses; returns the event ids. */
  async putEntries(entries: ReadonlyArray<Record<string, unknown>>): Promise<string[]> {
    const ids: string[] = [];
    for (const e of entries) {
      const event: BusEvent = {
        version: "0",
        id: randomUUID(),
        "detail-type": String(e["DetailType"] ?? ""),
        source: String(e["Source"] ?? ""),
        account: this.ctx.account,
        time: e["Time"] ? new Date(Number(e["Time"]) * 1000).toISOString() : new Date().toISOString(),
        region: this.ctx.region,
        resources: (e["Resources"] as string[] | undefined) ?? [],
        detail: JSON.parse(String(e["Detail"] ?? "{}")),
      };
      const bus = String(e["EventBusName"] ?? "default")
        .split("/")
        .pop()!;
      await this.put(bus, event);
      ids.push(event.id);
    }
    return ids;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const target = String(req.headers["x-amz-target"] ?? "");
    const reply = (status: number, body: unknown) =>
      res
        .writeHead(status, { "Content-Type": "application/x-amz-json-1.1", "x-amzn-RequestId": randomUUID() })
        .end(JSON.stringify(body));
    try {
      if (target !== "AWSEvents.PutEvents") throw new Error(`the sandbox's EventBridge does not implement ${target}`);
      const input = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { Entries?: Array<Record<string, unknown>> };
      const ids = (await this.putEntries(input.Entries ?? [])).map((EventId) => ({ EventId }));
      reply(200, { FailedEntryCount: 0, Entries: ids });
    } catch (e) {
      reply(400, { __type: "ValidationException", message: (e as Error).message });
    }
  }
}
