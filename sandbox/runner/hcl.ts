/**
 * Evaluates the Terraform expressions a synthesized `cdk.tf.json` holds (`"${aws_sqs_queue.q.url}"`,
 * `"${jsonencode({...})}"`, `"/${aws_s3_bucket.b.bucket}/x"`), so the sandbox resolves resource
 * references to its local equivalents the way `terraform apply` resolves them to real ones.
 *
 * Covers what CDKTF emits: template interpolation, references with attribute and index access,
 * object and tuple constructors, string/number/bool/null literals, and the common functions.
 * A value the sandbox cannot know (a secret) is UNKNOWN and propagates.
 */
import { createHash } from "node:crypto";

export const UNKNOWN: unique symbol = Symbol("unknown");
export type Value = string | number | boolean | null | Value[] | { [k: string]: Value } | typeof UNKNOWN;

export type Resolver = (path: readonly (string | number)[]) => Value;

export class HclError extends Error {
  override readonly name = "HclError";
}

type Tok =
  | { t: "str"; parts: Array<string | Node> }
  | { t: "num"; v: number }
  | { t: "id"; v: string }
  | { t: "p"; v: string }
  | { t: "eof" };

type Node =
  | { k: "lit"; v: Value }
  | { k: "tpl"; parts: Array<string | Node> }
  | { k: "ref"; root: string; path: Array<string | Node> }
  | { k: "call"; name: string; args: Node[]; expand: boolean }
  | { k: "obj"; entries: Array<[Node, Node]> }
  | { k: "tup"; items: Node[] }
  | { k: "idx"; target: Node; path: Array<string | Node> }
  | { k: "cond"; test: Node; a: Node; b: Node }
  | { k: "bin"; op: string; l: Node; r: Node }
  | { k: "not"; e: Node };

class Lexer {
  i = 0;
  constructor(private readonly s: string) {}

  private ws(): void {
    while (this.i < this.s.length) {
      const c = this.s[this.i]!;
      if (c === " " || c === "\t" || c === "\r" || c === "\n") this.i++;
      else if (c === "#" || (c === "/" && this.s[this.i + 1] === "/"))
        while (this.i < this.s.length && this.s[this.i] !== "\n") this.i++;
      else break;
    }
  }

  next(): Tok {
    this.ws();
    if (this.i >= this.s.length) return { t: "eof" };
    const c = this.s[this.i]!;
    if (c === '"') return this.string();
    if (/[0-9]/.test(c)) {
      const m = /^[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(this.s.slice(this.i))!;
      this.i += m[0].length;
      return { t: "num", v: Number(m[0]) };
    }
    if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_-]*/.exec(this.s.slice(this.i))!;
      this.i += m[0].length;
      return { t: "id", v: m[0] };
    }
    for (const op of ["==", "!=", ">=", "<=", "&&", "||", "..."]) {
      if (this.s.startsWith(op, this.i)) {
        this.i += op.length;
        return { t: "p", v: op };
      }
    }
    this.i++;
    return { t: "p", v: c };
  }

  /** A quoted HCL string with escapes and `${...}` interpolations. */
  private string(): Tok {
    this.i++; // opening quote
    return { t: "str", parts: this.template(true) };
  }

  /**
   * Template parts up to the closing quote (`quoted`) or the end of input (a JSON string value,
   * whose escapes JSON already decoded).
   */
  template(quoted: boolean): Array<string | Node> {
    const parts: Array<string | Node> = [];
    let cur = "";
    while (this.i < this.s.length) {
      const c = this.s[this.i]!;
      if (quoted && c === '"') {
        this.i++;
        if (cur) parts.push(cur);
        return parts;
      }
      if (quoted && c === "\\") {
        const n = this.s[this.i + 1]!;
        const map: Record<string, string> = { n: "\n", r: "\r", t: "\t", '"': '"', "\\": "\\" };
        if (n === "u") {
          cur += String.fromCharCode(parseInt(this.s.slice(this.i + 2, this.i + 6), 16));
          this.i += 6;
        } else {
          cur += map[n] ?? n;
          this.i += 2;
        }
        continue;
      }
      if (c === "$" && this.s[this.i + 1] === "$" && this.s[this.i + 2] === "{") {
        cur += "${";
        this.i += 3;
        continue;
      }
      if (c === "$" && this.s[this.i + 1] === "{") {
        if (cur) parts.push(cur);
        cur = "";
        this.i += 2;
        const p = new Parser(this);
        const node = p.expr();
        p.expect("}");
        parts.push(node);
        continue;
      }
      cur += c;
      this.i++;
    }
    if (quoted) throw new HclError("unterminated string");
    if (cur) parts.push(cur);
    return parts;
  }
}

class Parser {
  private tok: Tok;
  constructor(private readonly lx: Lexer) {
    this.tok = lx.next();
  }

  private advance(): Tok {
    const t = this.tok;
    this.tok = this.lx.next();
    return t;
  }

  /** Consumes the expected punctuation. The lexer position is left right after it. */
  expect(p: string): void {
    if (this.tok.t !== "p" || this.tok.v !== p)
      throw new HclError(`expected '${p}', found ${JSON.stringify(this.tok)}`);
    // Do not read ahead past a closing '}' of an interpolation: the string lexer continues there.
    if (p === "}") return;
    this.advance();
  }

  private isP(v: string): boolean {
    return this.tok.t === "p" && this.tok.v === v;
  }

  expr(): Node {
    const test = this.binary(0);
    if (this.isP("?")) {
      this.advance();
      const a = this.expr();
      this.expect(":");
      const b = this.expr();
      return { k: "cond", test, a, b };
    }
    return test;
  }

  private static PREC: Record<string, number> = {
    "||": 1,
    "&&": 2,
    "==": 3,
    "!=": 3,
    "<": 4,
    ">": 4,
    "<=": 4,
    ">=": 4,
    "+": 5,
    "-": 5,
    "*": 6,
    "/": 6,
    "%": 6,
  };

  private binary(min: number): Node {
    let l = this.unary();
    for (;;) {
      const t = this.tok;
      if (t.t !== "p") return l;
      const prec = Parser.PREC[t.v];
      if (prec === undefined || prec <= min) return l;
      this.advance();
      const r = this.binary(prec);
      l = { k: "bin", op: t.v, l, r };
    }
  }

  private unary(): Node {
    if (this.isP("!")) {
      this.advance();
      return { k: "not", e: this.unary() };
    }
    if (this.isP("-")) {
      this.advance();
      return { k: "bin", op: "-", l: { k: "lit", v: 0 }, r: this.unary() };
    }
    return this.postfix(this.primary());
  }

  private postfix(n: Node): Node {
    const path: Array<string | Node> = [];
    for (;;) {
      if (this.isP(".")) {
        this.advance();
        const t = this.advance();
        if (t.t === "id") path.push(t.v);
        else if (t.t === "num") path.push(String(t.v));
        else if (t.t === "p" && t.v === "*") path.push("*");
        else throw new HclError(`bad attribute access ${JSON.stringify(t)}`);
      } else if (this.isP("[")) {
        this.advance();
        path.push(this.expr());
        this.expect("]");
      } else break;
    }
    if (path.length === 0) return n;
    if (n.k === "ref") return { k: "ref", root: n.root, path: [...n.path, ...path] };
    return { k: "idx", target: n, path };
  }

  private primary(): Node {
    const t = this.advance();
    switch (t.t) {
      case "num":
        return { k: "lit", v: t.v };
      case "str":
        return t.parts.length === 1 && typeof t.parts[0] !== "string"
          ? { k: "tpl", parts: t.parts }
          : t.parts.every((p) => typeof p === "string")
            ? { k: "lit", v: t.parts.join("") }
            : { k: "tpl", parts: t.parts };
      case "id": {
        if (t.v === "true") return { k: "lit", v: true };
        if (t.v === "false") return { k: "lit", v: false };
        if (t.v === "null") return { k: "lit", v: null };
        if (this.isP("(")) {
          this.advance();
          const args: Node[] = [];
          let expand = false;
          while (!this.isP(")")) {
            args.push(this.expr());
            if (this.isP("...")) {
              this.advance();
              expand = true;
            }
            if (this.isP(",")) this.advance();
          }
          this.advance();
          return { k: "call", name: t.v, args, expand };
        }
        return { k: "ref", root: t.v, path: [] };
      }
      case "p":
        if (t.v === "(") {
          const e = this.expr();
          this.expect(")");
          return e;
        }
        if (t.v === "[") {
          const items: Node[] = [];
          while (!this.isP("]")) {
            items.push(this.expr());
            if (this.isP(",")) this.advance();
          }
          this.advance();
          return { k: "tup", items };
        }
        if (t.v === "{") {
          const entries: Array<[Node, Node]> = [];
          while (!this.isP("}")) {
            const key = this.keyExpr();
            if (this.isP("=") || this.isP(":")) this.advance();
            else throw new HclError(`expected '=' in object, found ${JSON.stringify(this.tok)}`);
            entries.push([key, this.expr()]);
            if (this.isP(",")) this.advance();
          }
          this.advance();
          return { k: "obj", entries };
        }
        throw new HclError(`unexpected '${t.v}'`);
      case "eof":
        throw new HclError("unexpected end of expression");
    }
  }

  /** Object keys: bare identifiers are literal names. */
  private keyExpr(): Node {
    if (this.tok.t === "id") {
      const v = this.tok.v;
      this.advance();
      return { k: "lit", v };
    }
    if (this.isP("(")) {
      this.advance();
      const e = this.expr();
      this.expect(")");
      return e;
    }
    return this.primary();
  }
}

function str(v: Value): string {
  if (v === UNKNOWN) throw UNKNOWN_SIGNAL;
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  if (v === null) return "";
  throw new HclError(`cannot convert ${JSON.stringify(v)} to a string`);
}

const UNKNOWN_SIGNAL = new Error("unknown");

function toJson(v: Value): unknown {
  if (v === UNKNOWN) throw UNKNOWN_SIGNAL;
  if (Array.isArray(v)) return v.map(toJson);
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toJson(x)]));
  return v;
}

const FUNCTIONS: Record<string, (args: Value[]) => Value> = {
  jsonencode: ([v]) => JSON.stringify(toJson(v!)),
  jsondecode: ([v]) => JSON.parse(str(v!)) as Value,
  sha256: ([v]) => createHash("sha256").update(str(v!)).digest("hex"),
  md5: ([v]) => createHash("md5").update(str(v!)).digest("hex"),
  base64encode: ([v]) => Buffer.from(str(v!)).toString("base64"),
  base64decode: ([v]) => Buffer.from(str(v!), "base64").toString("utf8"),
  tostring: ([v]) => str(v!),
  tonumber: ([v]) => Number(str(v!)),
  lower: ([v]) => str(v!).toLowerCase(),
  upper: ([v]) => str(v!).toUpperCase(),
  join: ([sep, list]) => (list as Value[]).map(str).join(str(sep!)),
  split: ([sep, s]) => str(s!).split(str(sep!)),
  concat: (lists) => lists.flatMap((l) => l as Value[]),
  length: ([v]) => (typeof v === "string" ? v.length : Array.isArray(v) ? v.length : Object.keys(v as object).length),
  element: ([list, i]) => (list as Value[])[Number(i) % (list as Value[]).length]!,
  lookup: ([m, k, d]) => (m as Record<string, Value>)[str(k!)] ?? d ?? null,
  merge: (maps) => Object.assign({}, ...maps.map((m) => m as object)) as Value,
  replace: ([s, a, b]) => str(s!).split(str(a!)).join(str(b!)),
  trimsuffix: ([s, x]) => (str(s!).endsWith(str(x!)) ? str(s!).slice(0, -str(x!).length) : str(s!)),
  trimprefix: ([s, x]) => (str(s!).startsWith(str(x!)) ? str(s!).slice(str(x!).length) : str(s!)),
  coalesce: (args) => args.find((a) => a !== null && a !== "") ?? null,
  tolist: ([v]) => v!,
  toset: ([v]) => v!,
  tomap: ([v]) => v!,
  format: ([f, ...args]) => {
    let i = 0;
    return str(f!).replace(/%[sdv]/g, () => str(args[i++]!));
  },
};

function index(v: Value, key: Value): Value {
  if (v === UNKNOWN || key === UNKNOWN) return UNKNOWN;
  if (Array.isArray(v)) return v[Number(key)] ?? null;
  if (v && typeof v === "object") return (v as Record<string, Value>)[str(key)] ?? null;
  throw new HclError(`cannot index ${JSON.stringify(v)} with ${JSON.stringify(key)}`);
}

function evaluate(n: Node, resolve: Resolver): Value {
  switch (n.k) {
    case "lit":
      return n.v;
    case "tpl": {
      if (n.parts.length === 1 && typeof n.parts[0] !== "string") return evaluate(n.parts[0]!, resolve);
      return n.parts.map((p) => (typeof p === "string" ? p : str(evaluate(p, resolve)))).join("");
    }
    case "ref": {
      const path: (string | number)[] = [n.root];
      for (const p of n.path) {
        if (typeof p === "string") path.push(p);
        else {
          const k = evaluate(p, resolve);
          if (k === UNKNOWN) return UNKNOWN;
          path.push(typeof k === "number" ? k : str(k));
        }
      }
      return resolve(path);
    }
    case "idx": {
      let v = evaluate(n.target, resolve);
      for (const p of n.path) v = index(v, typeof p === "string" ? p : evaluate(p, resolve));
      return v;
    }
    case "call": {
      const fn = FUNCTIONS[n.name];
      if (!fn) throw new HclError(`function ${n.name}() is not supported by the sandbox`);
      let args = n.args.map((a) => evaluate(a, resolve));
      if (n.expand) args = [...args.slice(0, -1), ...(args.at(-1) as Value[])];
      return fn(args);
    }
    case "obj": {
      const o: Record<string, Value> = {};
      for (const [k, v] of n.entries) o[str(evaluate(k, resolve))] = evaluate(v, resolve);
      return o;
    }
    case "tup":
      return n.items.map((i) => evaluate(i, resolve));
    case "cond": {
      const t = evaluate(n.test, resolve);
      if (t === UNKNOWN) return UNKNOWN;
      return evaluate(t ? n.a : n.b, resolve);
    }
    case "not":
      return !evaluate(n.e, resolve);
    case "bin": {
      const l = evaluate(n.l, resolve);
      const r = evaluate(n.r, resolve);
      if (l === UNKNOWN || r === UNKNOWN) return UNKNOWN;
      switch (n.op) {
        case "==":
          return JSON.stringify(l) === JSON.stringify(r);
        case "!=":
          return JSON.stringify(l) !== JSON.stringify(r);
        case "&&":
          return Boolean(l) && Boolean(r);
        case "||":
          return Boolean(l) || Boolean(r);
        case "+":
          return Number(l) + Number(r);
        case "-":
          return Number(l) - Number(r);
        case "*":
          return Number(l) * Number(r);
        case "/":
          return Number(l) / Number(r);
        case "%":
          return Number(l) % Number(r);
        case "<":
          return Number(l) < Number(r);
        case ">":
          return Number(l) > Number(r);
        case "<=":
          return Number(l) <= Number(r);
        case ">=":
          return Number(l) >= Number(r);
      }
      throw new HclError(`operator ${n.op}`);
    }
  }
}

/** Evaluates one JSON string value of a cdk.tf.json (a literal, or a template with interpolations). */
export function evaluateString(s: string, resolve: Resolver): Value {
  if (!s.includes("${")) return s.replace(/\$\$\{/g, "${");
  const parts = new Lexer(s).template(false);
  try {
    return evaluate(
      parts.length === 1 && typeof parts[0] !== "string" ? (parts[0] as Node) : { k: "tpl", parts },
      resolve,
    );
  } catch (e) {
    if (e === UNKNOWN_SIGNAL) return UNKNOWN;
    throw e;
  }
}

/** Evaluates every string inside a JSON value (resource arguments). */
export function evaluateDeep(v: unknown, resolve: Resolver): Value {
  if (typeof v === "string") return evaluateString(v, resolve);
  if (Array.isArray(v)) return v.map((x) => evaluateDeep(x, resolve));
  if (v && typeof v === "object") {
    const out: Record<string, Value> = {};
    for (const [k, x] of Object.entries(v)) if (k !== "//") out[k] = evaluateDeep(x, resolve);
    return out;
  }
  return v as Value;
}

/** References (`type.name` or `data.type.name`, `local.x`, `var.x`) a JSON value mentions, for ordering. */
export function referencesIn(v: unknown): string[] {
  const s = JSON.stringify(v);
  const out = new Set<string>();
  for (const m of s.matchAll(
    /\b(data\.[a-z0-9_]+\.[A-Za-z0-9_-]+|local\.[A-Za-z0-9_-]+|var\.[A-Za-z0-9_-]+|(?:aws|tls|random|null|time)_[a-z0-9_]+\.[A-Za-z0-9_-]+)/g,
  ))
    out.add(m[1]!);
  return [...out];
}
