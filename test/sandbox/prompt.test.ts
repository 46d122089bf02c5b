/** The sandbox prompt reads paths with spaces the way a shell does (issue #18 item 6). */
import { parsePromptCommand, splitWords, PROMPT_HELP } from "../../sandbox/prompt";

describe("sandbox prompt", () => {
  it.each([
    ['upload ACME-AS2 GLOBEX "/tmp/inv 1.edi"', "/tmp/inv 1.edi"],
    ["upload ACME-AS2 GLOBEX '/tmp/inv 1.edi'", "/tmp/inv 1.edi"],
    ["upload ACME-AS2 GLOBEX /tmp/inv\\ 1.edi", "/tmp/inv 1.edi"],
    ["  upload   ACME-AS2\tGLOBEX   /tmp/plain.edi  ", "/tmp/plain.edi"],
    ['upload ACME-AS2 GLOBEX "/tmp/a \\"quoted\\" name.edi"', '/tmp/a "quoted" name.edi'],
    ["upload ACME-AS2 GLOBEX /tmp/it\\'s.edi", "/tmp/it's.edi"],
  ])("%s uploads %j", (line, file) => {
    expect(parsePromptCommand(line)).toEqual({ kind: "upload", station: "ACME-AS2", partner: "GLOBEX", file });
  });

  it("reads inbound and partner commands with quoted arguments", () => {
    expect(parsePromptCommand('inbound GLOBEX "/tmp/order 7.edi"')).toEqual({
      kind: "inbound",
      partner: "GLOBEX",
      file: "/tmp/order 7.edi",
    });
    expect(parsePromptCommand("partner GLOBEX unresolvable")).toEqual({
      kind: "partner",
      partner: "GLOBEX",
      mode: "unresolvable",
    });
    expect(parsePromptCommand("")).toEqual({ kind: "empty" });
    expect(parsePromptCommand("exit")).toEqual({ kind: "quit" });
  });

  it("answers a malformed line with the prompt's help and the problem, not the command-line usage", () => {
    expect(parsePromptCommand("upload ACME-AS2 GLOBEX /tmp/inv 1.edi")).toEqual({
      kind: "help",
      problem: "upload: wrong arguments (4 given)",
    });
    expect(parsePromptCommand('upload ACME-AS2 GLOBEX "/tmp/inv 1.edi')).toEqual({
      kind: "help",
      problem: "unterminated double quote",
    });
    expect(parsePromptCommand("frobnicate")).toEqual({ kind: "help", problem: "unknown command 'frobnicate'" });
    expect(PROMPT_HELP).toMatch(/^commands:/);
    expect(PROMPT_HELP).not.toMatch(/npm run sandbox/);
  });

  it("splits words as a shell would", () => {
    expect(splitWords(`a "" 'b c' d\\ e "f\\\\g"`)).toEqual(["a", "", "b c", "d e", "f\\g"]);
    expect(() => splitWords("a\\")).toThrow(/backslash/);
  });
});
