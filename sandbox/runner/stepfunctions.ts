/**
 * Step Functions for the sandbox: the stack's state machines (their synthesized ASL definitions),
 * run by aws-local-stepfunctions, behind an HTTP endpoint speaking the service's JSON 1.0 protocol
 * (X-Amz-Target `AWSStepFunctions.<Action>`) for what the handlers and `npm run gateway` call:
 * StartExecution, DescribeExecution, ListExecutions, ListStateMachines, DescribeStateMachine.
 *
 * Task states do not reach AWS: each service integration the definition names is answered by the
 * sandbox (`ServiceIntegrations`), and a failure gets the error name Step Functions gives it
 * ("DynamoDB.<code>", the Lambda function's error type, "States.Http.StatusCode.<n>") so that the
 * definition's Retry and Catch apply as they would in AWS.
 *
 * Execution names (StartExecution, Step Functions API reference): a name is taken for the state
 * machine; calling again with the name of an open execution and the same input succeeds without
 * starting another, any other reuse is ExecutionAlreadyExists ("Executions with the same name and
 * input are considered idempotent", ExecutionAlreadyExists).
 */
import { randomUUID } from "node:crypto";
import { createServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import "./promise-with-resolvers";
import { StateMachine } from "aws-local-stepfunctions";

export interface StateMachineSpec {
  readonly name: string;
  readonly arn: string;
  readonly definition: Record<string, unknown>;
}

/** How the sandbox answers each service integration a Task state names. */
export interface ServiceIntegrations {
  /** Result of the function; throws an error whose `name` is the function's error type. */
  invokeLambda(functionName: string, payload: unknown): Promise<unknown>;
  /** PutItem parameters as resolved by the state; throws the DynamoDB error (its `name` is the code). */
  putItem(input: Record<string, unknown>): Promise<void>;
  /** Entries as the PutEvents API takes them (Detail already a JSON string). */
  putEvents(entries: Record<string, unknown>[]): Promise<string[]>;
  /** The HTTP Task: returns status and parsed body. */
  httpInvoke(input: Record<string, unknown>): Promise<{ status: number; body: unknown }>;
  /** CloudWatch has no local server: counts are only remembered. */
  putMetricData?(input: Record<string, unknown>): void;
}

export type ExecutionStatus = "RUNNING" | "SUCCEEDED" | "FAILED";

export interface Execution {
  readonly executionArn: string;
  readonly stateMachineArn: string;
  readonly name: string;
  readonly input: string;
  readonly startDate: Date;
  status: ExecutionStatus;
  stopDate?: Date;
  output?: string;
  error?: string;
  cause?: string;
}

export interface LocalStepFunctionsOptions {
  readonly account: string;
  readonly region: string;
  /** Divides every Retry interval. @default 1 (the definition's own backoff) */
  readonly timeScale?: number;
  /** Told about every execution that starts (the sandbox waits for it when it settles). */
  readonly track?: (run: Promise<unknown>) => void;
  readonly onEnd?: (e: Execution) => void;
}

class SfnError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

/** The error a Task state sees: `name` is what Retry and Catch match. */
export function taskError(name: string, message: string): Error {
  const e = new Error(message);
  e.name = name;
  return e;
}

/**
 * The HTTP Task offline: a declared endpoint listed in `endpoints` is called at its local URL (same
 * method, headers and JSON body); any other is answered by a stub that returns the request body's
 * `document` unchanged, so a workflow with enrichment runs without the partner's system.
 */
export function localHttpTask(
  endpoints: Readonly<Record<string, string>>,
): (input: Record<string, unknown>) => Promise<{ status: number; body: unknown }> {
  return async (input) => {
    const local = endpoints[String(input["ApiEndpoint"])];
    const body = input["RequestBody"];
    if (!local) return { status: 200, body: (body as { document?: unknown } | undefined)?.document ?? {} };
    const r = await fetch(local, {
      method: String(input["Method"] ?? "POST"),
      headers: { "Content-Type": "application/json", ...((input["Headers"] ?? {}) as Record<string, string>) },
      body: JSON.stringify(body ?? {}),
    });
    const text = await r.text();
    try {
      return { status: r.status, body: JSON.parse(text) as unknown };
    } catch {
      // Step Functions hands a body that is not JSON over as text.
      return { status: r.status, body: text };
    }
  };
}

// Forbidden in execution names (StartExecution, Step Functions API reference): whitespace, brackets,
// wildcards, special characters and control characters; 1 to 80 characters.
const BAD_NAME = /[\s<>{}[\]?*"#%\\^|~`$&,;:/]/;
const hasControl = (s: string) =>
  [...s].some((c) => c.charCodeAt(0) < 0x20 || (c.charCodeAt(0) >= 0x7f && c.charCodeAt(0) <= 0x9f));

const OPTIMIZED = "arn:aws:states:::";

export class LocalStepFunctions {
  private readonly machines = new Map<string, { spec: StateMachineSpec; machine: StateMachine; created: Date }>();
  private readonly byName = new Map<string, Execution>();
  private readonly running = new Set<Promise<unknown>>();
  private server?: Server;
  endpoint = "";

  constructor(
    specs: readonly StateMachineSpec[],
    private readonly integrations: ServiceIntegrations,
    private readonly o: LocalStepFunctionsOptions,
  ) {
    for (const spec of specs)
      this.machines.set(spec.arn, {
        spec,
        machine: new StateMachine(spec.definition as never, { validationOptions: { checkArn: false } }),
        created: new Date(),
      });
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", () => resolve()));
    this.endpoint = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.endpoint;
  }

  async stop(): Promise<void> {
    await Promise.allSettled([...this.running]);
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }

  executions(stateMachineArn?: string): Execution[] {
    return [...this.byName.values()].filter((e) => !stateMachineArn || e.stateMachineArn === stateMachineArn);
  }

  /** Until every execution started so far has ended. */
  async idle(): Promise<void> {
    while (this.running.size) await Promise.allSettled([...this.running]);
  }

  startExecution(stateMachineArn: string, name: string | undefined, input = "{}"): Execution {
    const m = this.machines.get(stateMachineArn);
    if (!m) throw new SfnError("StateMachineDoesNotExist", `State Machine Does Not Exist: '${stateMachineArn}'`);
    const execName = name ?? randomUUID();
    if (execName.length < 1 || execName.length > 80 || BAD_NAME.test(execName) || hasControl(execName))
      throw new SfnError("InvalidName", `Invalid Name: '${execName}'`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(input);
    } catch {
      throw new SfnError("InvalidExecutionInput", "Invalid State Machine Execution Input: not JSON");
    }
    const key = `${stateMachineArn}\n${execName}`;
    const seen = this.byName.get(key);
    if (seen) {
      if (seen.status === "RUNNING" && seen.input === input) return seen;
      throw new SfnError("ExecutionAlreadyExists", `Execution Already Exists: '${seen.executionArn}'`);
    }
    const arn = `arn:aws:states:${this.o.region}:${this.o.account}:execution:${m.spec.name}:${execName}`;
    const e: Execution = {
      executionArn: arn,
      stateMachineArn,
      name: execName,
      input,
      startDate: new Date(),
      status: "RUNNING",
    };
    this.byName.set(key, e);
    const run = this.run(m.spec, m.machine, e, parsed);
    this.running.add(run);
    void run.finally(() => this.running.delete(run));
    this.o.track?.(run);
    return e;
  }

  private async run(spec: StateMachineSpec, machine: StateMachine, e: Execution, input: unknown): Promise<void> {
    try {
      const output = await machine.run(input as never, {
        overrides: {
          taskResourceLocalHandlers: this.taskHandlers(spec.definition) as never,
          ...(this.o.timeScale && this.o.timeScale !== 1
            ? { retryIntervalOverrides: retryIntervals(spec.definition, this.o.timeScale) }
            : {}),
        },
        context: {
          Execution: { Id: e.executionArn, Name: e.name, StartTime: e.startDate.toISOString(), Input: input },
          StateMachine: { Id: spec.arn, Name: spec.name },
        } as never,
      }).result;
      e.output = JSON.stringify(output ?? null);
      e.status = "SUCCEEDED";
    } catch (err) {
      // ExecutionError wraps the state's error as `cause` (its name is the ASL error, its message the cause).
      const c = (err as { cause?: { name?: string; message?: string } }).cause;
      e.error = c?.name ?? (err as Error).name;
      e.cause = c?.message ?? (err as Error).message;
      e.status = "FAILED";
    }
    e.stopDate = new Date();
    this.o.onEnd?.(e);
  }

  /** A local handler per Task state, chosen by the service integration its Resource names. */
  private taskHandlers(definition: Record<string, unknown>): Record<string, (input: unknown) => Promise<unknown>> {
    const handlers: Record<string, (input: unknown) => Promise<unknown>> = {};
    const states = (definition["States"] ?? {}) as Record<string, { Type?: string; Resource?: string }>;
    for (const [stateName, s] of Object.entries(states)) {
      if (s.Type !== "Task" || typeof s.Resource !== "string") continue;
      handlers[stateName] = this.integration(s.Resource);
    }
    return handlers;
  }

  private integration(resource: string): (input: unknown) => Promise<unknown> {
    const i = this.integrations;
    const api = resource.startsWith(OPTIMIZED) ? resource.slice(OPTIMIZED.length).replace(/\.sync(:2)?$/, "") : "";
    switch (api) {
      case "lambda:invoke":
        return async (input) => {
          const p = input as { FunctionName: string; Payload?: unknown };
          return {
            StatusCode: 200,
            ExecutedVersion: "$LATEST",
            Payload: await i.invokeLambda(p.FunctionName, p.Payload ?? {}),
          };
        };
      case "dynamodb:putItem":
        return async (input) => {
          try {
            await i.putItem(input as Record<string, unknown>);
            return {};
          } catch (e) {
            throw taskError(`DynamoDB.${(e as Error).name}`, (e as Error).message);
          }
        };
      case "events:putEvents":
        return async (input) => {
          // The optimized integration takes Detail as JSON and serializes it (Step Functions
          // developer guide, "Add EventBridge events with Step Functions").
          const entries = ((input as { Entries?: Record<string, unknown>[] }).Entries ?? []).map((x) => ({
            ...x,
            Detail: typeof x["Detail"] === "string" ? x["Detail"] : JSON.stringify(x["Detail"] ?? {}),
          }));
          const ids = await i.putEvents(entries);
          return { FailedEntryCount: 0, Entries: ids.map((EventId) => ({ EventId })) };
        };
      case "aws-sdk:cloudwatch:putMetricData":
        return async (input) => {
          i.putMetricData?.(input as Record<string, unknown>);
          return {};
        };
      case "http:invoke":
        return async (input) => {
          const r = await i.httpInvoke(input as Record<string, unknown>);
          if (r.status < 200 || r.status > 299)
            throw taskError(`States.Http.StatusCode.${r.status}`, JSON.stringify(r.body));
          return { StatusCode: r.status, StatusText: "OK", Headers: {}, ResponseBody: r.body };
        };
      default:
        return () =>
          Promise.reject(taskError("States.Runtime", `the sandbox's Step Functions does not run ${resource}`));
    }
  }

  // ------------------------------------------------------------------ HTTP API

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const action = String(req.headers["x-amz-target"] ?? "").replace(/^AWSStepFunctions\./, "");
    const reply = (status: number, body: unknown) =>
      res
        .writeHead(status, { "Content-Type": "application/x-amz-json-1.0", "x-amzn-RequestId": randomUUID() })
        .end(JSON.stringify(body));
    try {
      const input = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}") as Record<string, unknown>;
      reply(200, this.call(action, input));
    } catch (e) {
      if (e instanceof SfnError) reply(400, { __type: e.type, message: e.message });
      else reply(500, { __type: "InternalFailure", message: (e as Error).message });
    }
  }

  private call(action: string, input: Record<string, unknown>): unknown {
    const seconds = (d?: Date) => (d ? d.getTime() / 1000 : undefined);
    switch (action) {
      case "StartExecution": {
        const e = this.startExecution(
          String(input["stateMachineArn"]),
          input["name"] === undefined ? undefined : String(input["name"]),
          input["input"] === undefined ? "{}" : String(input["input"]),
        );
        return { executionArn: e.executionArn, startDate: seconds(e.startDate) };
      }
      case "DescribeExecution": {
        const e = this.executions().find((x) => x.executionArn === input["executionArn"]);
        if (!e)
          throw new SfnError("ExecutionDoesNotExist", `Execution Does Not Exist: '${String(input["executionArn"])}'`);
        return {
          executionArn: e.executionArn,
          stateMachineArn: e.stateMachineArn,
          name: e.name,
          status: e.status,
          startDate: seconds(e.startDate),
          stopDate: seconds(e.stopDate),
          input: e.input,
          output: e.output,
          error: e.error,
          cause: e.cause,
        };
      }
      case "ListExecutions": {
        const arn = String(input["stateMachineArn"]);
        if (!this.machines.has(arn))
          throw new SfnError("StateMachineDoesNotExist", `State Machine Does Not Exist: '${arn}'`);
        const all = this.executions(arn)
          .filter((e) => !input["statusFilter"] || e.status === input["statusFilter"])
          .reverse();
        const from = Number(input["nextToken"] ?? 0);
        const max = Number(input["maxResults"] || 100);
        const page = all.slice(from, from + max);
        return {
          executions: page.map((e) => ({
            executionArn: e.executionArn,
            stateMachineArn: e.stateMachineArn,
            name: e.name,
            status: e.status,
            startDate: seconds(e.startDate),
            stopDate: seconds(e.stopDate),
          })),
          ...(from + max < all.length ? { nextToken: String(from + max) } : {}),
        };
      }
      case "ListStateMachines":
        return {
          stateMachines: [...this.machines.values()].map((m) => ({
            stateMachineArn: m.spec.arn,
            name: m.spec.name,
            type: "STANDARD",
            creationDate: seconds(m.created),
          })),
        };
      case "DescribeStateMachine": {
        const m = this.machines.get(String(input["stateMachineArn"]));
        if (!m) throw new SfnError("StateMachineDoesNotExist", `State Machine Does Not Exist`);
        return {
          stateMachineArn: m.spec.arn,
          name: m.spec.name,
          status: "ACTIVE",
          definition: JSON.stringify(m.spec.definition),
          roleArn: `arn:aws:iam::${this.o.account}:role/sandbox`,
          type: "STANDARD",
          creationDate: seconds(m.created),
        };
      }
      default:
        throw new SfnError("UnknownOperationException", `the sandbox's Step Functions does not implement ${action}`);
    }
  }
}

/** Each retrier's first interval divided by the time scale (the sandbox's FAST_TIMES spirit), in ms. */
function retryIntervals(definition: Record<string, unknown>, timeScale: number): Record<string, number[]> {
  const states = (definition["States"] ?? {}) as Record<string, { Retry?: { IntervalSeconds?: number }[] }>;
  return Object.fromEntries(
    Object.entries(states)
      .filter(([, s]) => Array.isArray(s.Retry))
      .map(([n, s]) => [n, s.Retry!.map((r) => ((r.IntervalSeconds ?? 1) * 1000) / timeScale)]),
  );
}
