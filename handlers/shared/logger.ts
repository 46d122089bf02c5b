/**
 * Structured JSON logs, one line per entry, in the shape Powertools for AWS Lambda writes (`level`,
 * `message`, `timestamp`, `service`, extra keys at the top level, errors as
 * `{ name, message, stack }`), so metric filters (`{ $.message = "..." }`) and embedded-metric lines
 * read it the same. Written here rather than imported: `@aws-lambda-powertools/logger` and its
 * commons are 20.5 KB of every handler bundle, 40 % of the 50 KB a handler may add to its SDK
 * clients (issue #17), for the four methods the handlers call.
 *
 * Never log payloads or key material: keys, ids and sizes only.
 */

export type LogLevel = "DEBUG" | "INFO" | "WARN" | "ERROR" | "CRITICAL" | "SILENT";

const RANK: Record<LogLevel, number> = { DEBUG: 8, INFO: 12, WARN: 16, ERROR: 20, CRITICAL: 24, SILENT: 28 };

function levelOf(v: string | undefined): LogLevel | undefined {
  const l = v?.toUpperCase();
  return l !== undefined && l in RANK ? (l as LogLevel) : undefined;
}

/** Errors as JSON (JSON.stringify writes `{}` for them). */
function plain(_key: string, value: unknown): unknown {
  if (!(value instanceof Error)) return value;
  return {
    name: value.name,
    message: value.message,
    stack: value.stack,
    ...(value.cause !== undefined ? { cause: value.cause } : {}),
    ...Object.fromEntries(Object.entries(value)),
  };
}

export class Logger {
  // Lambda's advanced logging level first, as Powertools reads it, then Powertools' own variable.
  private rank = RANK[levelOf(process.env.AWS_LAMBDA_LOG_LEVEL) ?? levelOf(process.env.POWERTOOLS_LOG_LEVEL) ?? "INFO"];

  constructor(private readonly options: { readonly serviceName: string }) {}

  setLogLevel(level: LogLevel): void {
    this.rank = RANK[level];
  }

  readonly info = (message: string, extra?: Record<string, unknown>) => this.write("INFO", message, extra);
  readonly warn = (message: string, extra?: Record<string, unknown>) => this.write("WARN", message, extra);
  readonly error = (message: string, extra?: Record<string, unknown>) => this.write("ERROR", message, extra);

  private write(level: Exclude<LogLevel, "SILENT">, message: string, extra?: Record<string, unknown>): void {
    if (RANK[level] < this.rank) return;
    const line = JSON.stringify(
      {
        level,
        message,
        timestamp: new Date().toISOString(),
        service: this.options.serviceName,
        ...extra,
      },
      plain,
    );
    (RANK[level] >= RANK.WARN ? process.stderr : process.stdout).write(`${line}\n`);
  }
}

export const logger = new Logger({ serviceName: "as2-transfer-gateway" });
