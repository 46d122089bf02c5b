import { join } from "node:path";
import { parseArgs, resultsDir } from "../../bench/run";

describe("bench run options", () => {
  it("writes to the git-ignored bench/out/ unless --write asks for the committed results", () => {
    expect(parseArgs([]).write).toBe(false);
    expect(resultsDir(parseArgs([]).write, "/r")).toBe(join("/r", "bench", "out"));
    expect(parseArgs(["--write"]).write).toBe(true);
    expect(resultsDir(parseArgs(["--write", "--update-readme"]).write, "/r")).toBe(join("/r", "bench"));
    expect(parseArgs(["--update-readme"])).toMatchObject({ write: false, updateReadme: true });
  });
});
