/**
 * The stack's Lambda functions, each from the zip Terraform would upload, in its own child process
 * with its own synthesized environment (resolved to local endpoints).
 */
import { fork } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { createWriteStream, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import type { WriteStream } from "node:fs";
import { dirname, join } from "node:path";
import { unzipSync } from "fflate";

export interface FunctionSpec {
  readonly name: string;
  readonly arn: string;
  /** Absolute path of the deployment zip. */
  readonly zipPath: string;
  /** `index.handler` */
  readonly handler: string;
  readonly environment: Record<string, string>;
  readonly timeoutSeconds: number;
}

export class FunctionError extends Error {
  constructor(
    readonly functionName: string,
    readonly errorName: string,
    message: string,
  ) {
    super(message);
    this.name = "FunctionError";
  }
}

export class LocalFunction {
  private child?: ChildProcess;
  private ready?: Promise<void>;
  private seq = 0;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private log?: WriteStream;
  invocations = 0;
  errors = 0;

  constructor(
    readonly spec: FunctionSpec,
    private readonly workDir: string,
    private readonly baseEnv: Record<string, string>,
  ) {}

  /** Extracts the zip and starts the process. */
  start(): Promise<void> {
    if (this.ready) return this.ready;
    const dir = join(this.workDir, "functions", this.spec.name);
    const files = unzipSync(readFileSync(this.spec.zipPath));
    for (const [name, data] of Object.entries(files)) {
      const target = join(dir, name);
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, data);
    }
    const [file, exportName] = this.spec.handler.split(".") as [string, string];
    this.log = createWriteStream(join(this.workDir, "logs", `${this.spec.name}.log`), { flags: "a" });
    const env: Record<string, string> = {
      ...this.baseEnv,
      ...this.spec.environment,
      AWS_LAMBDA_FUNCTION_NAME: this.spec.name,
      AWS_LAMBDA_FUNCTION_VERSION: "$LATEST",
    };
    // Source maps make stack traces readable; Node 20 accepts the flag the stack sets.
    this.child = fork(
      join(__dirname, "lambda-host.js"),
      [join(dir, `${file}.js`), exportName, this.spec.name, String(this.spec.timeoutSeconds * 1000)],
      {
        env,
        stdio: ["ignore", "pipe", "pipe", "ipc"],
        execArgv: [],
      },
    );
    this.child.stdout!.pipe(this.log, { end: false });
    this.child.stderr!.pipe(this.log, { end: false });
    this.ready = new Promise<void>((resolve, reject) => {
      this.child!.on(
        "message",
        (m: {
          type: string;
          id?: number;
          ok?: boolean;
          result?: unknown;
          error?: { name?: string; message?: string };
        }) => {
          if (m.type === "ready") resolve();
          else if (m.type === "fatal") reject(new Error(String((m as { error?: string }).error)));
          else if (m.type === "result" && m.id !== undefined) {
            const w = this.waiting.get(m.id);
            this.waiting.delete(m.id);
            if (!w) return;
            if (m.ok) w.resolve(m.result);
            else w.reject(new FunctionError(this.spec.name, m.error?.name ?? "Error", m.error?.message ?? "failed"));
          }
        },
      );
      this.child!.on("exit", (code) => {
        for (const w of this.waiting.values())
          w.reject(new FunctionError(this.spec.name, "Runtime.ExitError", `process exited with ${code}`));
        this.waiting.clear();
        reject(new Error(`${this.spec.name} exited with ${code} before it was ready (see logs/${this.spec.name}.log)`));
      });
    });
    return this.ready;
  }

  async invoke(event: unknown): Promise<unknown> {
    await this.start();
    this.invocations += 1;
    const id = ++this.seq;
    try {
      return await new Promise((resolve, reject) => {
        this.waiting.set(id, { resolve, reject });
        this.child!.send({ type: "invoke", id, event, arn: this.spec.arn });
      });
    } catch (e) {
      this.errors += 1;
      throw e;
    }
  }

  async stop(): Promise<void> {
    if (this.child && this.child.exitCode === null) {
      const exited = new Promise<void>((resolve) => this.child!.once("exit", () => resolve()));
      this.child.kill();
      await exited;
    }
    await new Promise<void>((resolve) => (this.log ? this.log.end(() => resolve()) : resolve()));
  }
}
