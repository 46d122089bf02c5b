/**
 * The sandbox prompt's commands: a line split into words as a POSIX shell would (double and single
 * quotes, backslash escapes), so a path with spaces can be typed as `"/tmp/inv 1.edi"` or
 * `/tmp/inv\ 1.edi`; an unknown or malformed command answers with the prompt's own help.
 */
import { PARTNER_MODES } from "./partner/partner";
import type { PartnerMode } from "./partner/partner";

export const PROMPT_HELP = `commands:
  upload <station> <partner> <file>     put a local file under AS2/send/<station>/<partner>/
  inbound <partner> <file>              the partner sends a local file to the gateway
  partner <partner> <${PARTNER_MODES.join("|")}>
  sweep                                 run the scheduled sweep now
  summary | quit
paths with spaces: quote them ("/tmp/inv 1.edi", '/tmp/inv 1.edi') or escape the space (/tmp/inv\\ 1.edi)`;

export class PromptSyntaxError extends Error {}

/** Words of a command line: whitespace separates, quotes group, `\` escapes the next character. */
export function splitWords(line: string): string[] {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quote === "'") {
      if (ch === "'") quote = undefined;
      else word += ch;
    } else if (quote === '"') {
      if (ch === '"') quote = undefined;
      else if (ch === "\\" && i + 1 < line.length && /["\\$`]/.test(line[i + 1]!)) word += line[++i];
      else word += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      inWord = true;
    } else if (ch === "\\") {
      if (i + 1 >= line.length) throw new PromptSyntaxError("a line cannot end with a backslash");
      word += line[++i];
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
    } else {
      word += ch;
      inWord = true;
    }
  }
  if (quote) throw new PromptSyntaxError(`unterminated ${quote === '"' ? "double" : "single"} quote`);
  if (inWord) words.push(word);
  return words;
}

export type PromptCommand =
  | { readonly kind: "upload"; readonly station: string; readonly partner: string; readonly file: string }
  | { readonly kind: "inbound"; readonly partner: string; readonly file: string }
  | { readonly kind: "partner"; readonly partner: string; readonly mode: PartnerMode }
  | { readonly kind: "sweep" | "summary" | "quit" | "empty" }
  | { readonly kind: "help"; readonly problem?: string };

export function parsePromptCommand(line: string): PromptCommand {
  let words: string[];
  try {
    words = splitWords(line);
  } catch (e) {
    return { kind: "help", problem: (e as Error).message };
  }
  const [cmd, ...args] = words;
  if (cmd === undefined) return { kind: "empty" };
  if (cmd === "upload" && args.length === 3)
    return { kind: "upload", station: args[0]!, partner: args[1]!, file: args[2]! };
  if (cmd === "inbound" && args.length === 2) return { kind: "inbound", partner: args[0]!, file: args[1]! };
  if (cmd === "partner" && args.length === 2 && PARTNER_MODES.includes(args[1] as PartnerMode))
    return { kind: "partner", partner: args[0]!, mode: args[1] as PartnerMode };
  if (cmd === "sweep" || cmd === "summary") return { kind: cmd };
  if (cmd === "quit" || cmd === "exit") return { kind: "quit" };
  if (cmd === "help") return { kind: "help" };
  const known = ["upload", "inbound", "partner"].includes(cmd);
  return {
    kind: "help",
    problem: known ? `${cmd}: wrong arguments (${args.length} given)` : `unknown command '${cmd}'`,
  };
}
