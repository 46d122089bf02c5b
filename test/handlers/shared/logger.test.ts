import { Logger } from "../../../handlers/shared/logger";

function capture(fn: () => void): string[] {
  const lines: string[] = [];
  const out = jest.spyOn(process.stdout, "write").mockImplementation((s) => (lines.push(String(s)), true));
  const err = jest.spyOn(process.stderr, "write").mockImplementation((s) => (lines.push(String(s)), true));
  try {
    fn();
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
  return lines;
}

describe("the handlers' logger (Powertools' line shape)", () => {
  it("writes one JSON line with level, message, timestamp, service and the extra keys at the top level", () => {
    const log = new Logger({ serviceName: "svc" });
    const [line] = capture(() => log.info("domain event published", { _aws: { Timestamp: 1 }, Partner: "P" }));
    expect(line!.endsWith("\n")).toBe(true);
    expect(JSON.parse(line!)).toMatchObject({
      level: "INFO",
      message: "domain event published",
      service: "svc",
      _aws: { Timestamp: 1 },
      Partner: "P",
    });
    expect(Date.parse((JSON.parse(line!) as { timestamp: string }).timestamp)).not.toBeNaN();
  });

  it("serialises errors with name, message and stack", () => {
    const log = new Logger({ serviceName: "svc" });
    const e = Object.assign(new Error("boom"), { code: "X" });
    const [line] = capture(() => log.error("failed", { error: e }));
    expect(JSON.parse(line!).error).toMatchObject({ name: "Error", message: "boom", code: "X" });
    expect(String(JSON.parse(line!).error.stack)).toContain("boom");
  });

  it("leaves out entries below its level (POWERTOOLS_LOG_LEVEL, setLogLevel)", () => {
    const before = process.env.POWERTOOLS_LOG_LEVEL;
    process.env.POWERTOOLS_LOG_LEVEL = "WARN";
    try {
      const log = new Logger({ serviceName: "svc" });
      expect(capture(() => log.info("quiet"))).toEqual([]);
      expect(capture(() => log.warn("loud"))).toHaveLength(1);
      log.setLogLevel("SILENT");
      expect(capture(() => log.error("silenced"))).toEqual([]);
    } finally {
      if (before === undefined) delete process.env.POWERTOOLS_LOG_LEVEL;
      else process.env.POWERTOOLS_LOG_LEVEL = before;
    }
  });
});
