/**
 * Loads customer files (JSON or TypeScript) and turns every problem into one line a person can
 * act on: file, field path, what was expected, what was found.
 */
import { readdirSync, readFileSync, existsSync } from "node:fs";
import { join, resolve, relative, extname, dirname, isAbsolute } from "node:path";
import { pathToFileURL } from "node:url";

import { customerSchema, type Customer } from "./customer";

export interface LoadedCustomer {
  readonly file: string;
  readonly customer: Customer;
  /** Public certificates resolved to PEM text, keyed by the path given in the file. */
  readonly dir: string;
}

export interface CustomerProblem {
  readonly file: string;
  readonly path: string;
  readonly message: string;
  readonly found?: string;
}

export class CustomerFileError extends Error {
  constructor(readonly problems: CustomerProblem[]) {
    super(problems.map(formatProblem).join("\n"));
    this.name = "CustomerFileError";
  }
}

export function formatProblem(p: CustomerProblem): string {
  return `${p.file}: ${p.path || "(file)"}: ${p.message}${p.found !== undefined ? ` (found ${p.found})` : ""}`;
}

const CUSTOMER_EXTENSIONS = [".json", ".ts"];

export function customersDir(): string {
  return resolve(process.env.AS2_CUSTOMERS_DIR ?? join(__dirname, "..", "customers"));
}

export function listCustomerFiles(dir: string): string[] {
  if (!existsSync(dir))
    throw new CustomerFileError([{ file: dir, path: "", message: "customers folder does not exist" }]);
  return readdirSync(dir)
    .filter((f) => CUSTOMER_EXTENSIONS.includes(extname(f)) && !f.endsWith(".d.ts") && !f.startsWith("_"))
    .sort()
    .map((f) => join(dir, f));
}

function pathString(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === "number" ? `[${p}]` : `${i === 0 ? "" : "."}${String(p)}`)).join("");
}

function describeFound(v: unknown): string | undefined {
  if (v === undefined) return "nothing";
  const s = JSON.stringify(v);
  if (s === undefined) return typeof v;
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/** Strings that look like private key material: refused wherever they appear in a customer file. */
const PRIVATE_KEY_MARKER = /-----BEGIN [A-Z ]*PRIVATE KEY-----/;

function findInlinePrivateKeys(v: unknown, path: (string | number)[] = []): (string | number)[][] {
  if (typeof v === "string") return PRIVATE_KEY_MARKER.test(v) ? [path] : [];
  if (Array.isArray(v)) return v.flatMap((x, i) => findInlinePrivateKeys(x, [...path, i]));
  if (v && typeof v === "object") return Object.entries(v).flatMap(([k, x]) => findInlinePrivateKeys(x, [...path, k]));
  return [];
}

/** Validates a raw declaration; `file` is only used in messages and to resolve certificate paths. */
export function validateCustomer(raw: unknown, file: string): Customer {
  const problems: CustomerProblem[] = findInlinePrivateKeys(raw).map((p) => ({
    file,
    path: pathString(p),
    message:
      "private key material must never be inline: use { secretsManagerArn }, { terraformVariable } or { generate: true }",
  }));
  const result = customerSchema.safeParse(raw, { reportInput: true });
  if (!result.success) {
    for (const issue of result.error.issues) {
      if (problems.some((p) => p.path === pathString(issue.path))) continue;
      problems.push({
        file,
        path: pathString(issue.path),
        message: issue.message,
        found: describeFound((issue as { input?: unknown }).input),
      });
    }
  }
  if (problems.length === 0 && result.success) {
    problems.push(...certificateFileProblems(result.data, file));
  }
  if (problems.length > 0 || !result.success) throw new CustomerFileError(problems);
  const base = file
    .replace(/\.(json|ts)$/, "")
    .split(/[\\/]/)
    .pop();
  if (base && base !== result.data.name && !file.startsWith("<")) {
    throw new CustomerFileError([
      {
        file,
        path: "name",
        message: `the name must match the file name '${base}'`,
        found: JSON.stringify(result.data.name),
      },
    ]);
  }
  return result.data;
}

function certificateFileProblems(c: Customer, file: string): CustomerProblem[] {
  const out: CustomerProblem[] = [];
  const check = (ref: unknown, path: (string | number)[]) => {
    if (ref && typeof ref === "object" && "file" in ref && typeof ref.file === "string") {
      const p = resolveRelative(file, (ref as { file: string }).file);
      if (!existsSync(p))
        out.push({
          file,
          path: pathString([...path, "file"]),
          message: "certificate file not found",
          found: JSON.stringify(p),
        });
      else if (!/-----BEGIN CERTIFICATE-----/.test(readFileSync(p, "utf8")))
        out.push({
          file,
          path: pathString([...path, "file"]),
          message: "expected a PEM certificate (-----BEGIN CERTIFICATE-----)",
          found: JSON.stringify(p),
        });
    }
  };
  c.stations.forEach((s, i) => {
    for (const k of ["signing", "encryption"] as const) {
      const kp = s[k];
      if (kp && "certificate" in kp) {
        check(kp.certificate, ["stations", i, k, "certificate"]);
        if (kp.chain) check(kp.chain, ["stations", i, k, "chain"]);
      }
    }
  });
  c.partners.forEach((p, i) => {
    check(p.certificates.signing, ["partners", i, "certificates", "signing"]);
    if (p.certificates.encryption) check(p.certificates.encryption, ["partners", i, "certificates", "encryption"]);
  });
  return out;
}

export function resolveRelative(customerFile: string, path: string): string {
  return isAbsolute(path) ? path : resolve(dirname(customerFile), path);
}

/** Reads a public certificate reference as PEM text. */
export function readCertificate(customerFile: string, ref: { file: string } | { pem: string }): string {
  return "pem" in ref ? ref.pem : readFileSync(resolveRelative(customerFile, ref.file), "utf8");
}

async function readRaw(file: string): Promise<unknown> {
  if (file.endsWith(".json")) {
    const text = readFileSync(file, "utf8");
    try {
      return JSON.parse(text);
    } catch (e) {
      throw new CustomerFileError([{ file, path: "", message: `not valid JSON: ${(e as Error).message}` }]);
    }
  }
  // TypeScript customers: loaded through the runtime's TypeScript support (tsx / jest).
  const mod = (await import(process.platform === "win32" ? pathToFileURL(file).href : file)) as { default?: unknown };
  const value = (mod.default as { default?: unknown } | undefined)?.default ?? mod.default;
  if (value === undefined)
    throw new CustomerFileError([{ file, path: "", message: "expected `export default defineCustomer({...})`" }]);
  return value;
}

/** Loads and validates one file. */
export async function loadCustomerFile(file: string): Promise<LoadedCustomer> {
  const raw = await readRaw(file);
  return { file, customer: validateCustomer(raw, file), dir: dirname(file) };
}

/** Loads every customer in a folder; collects every problem of every file before failing. */
export async function loadCustomers(dir = customersDir(), cwd = process.cwd()): Promise<LoadedCustomer[]> {
  const files = listCustomerFiles(dir);
  const loaded: LoadedCustomer[] = [];
  const problems: CustomerProblem[] = [];
  const names = new Map<string, string>();
  for (const file of files) {
    const shown = relative(cwd, file) || file;
    try {
      const c = await loadCustomerFile(file);
      const prev = names.get(c.customer.name);
      if (prev)
        problems.push({
          file: shown,
          path: "name",
          message: `customer name '${c.customer.name}' is already used by ${prev}`,
        });
      names.set(c.customer.name, shown);
      loaded.push(c);
    } catch (e) {
      if (e instanceof CustomerFileError)
        problems.push(...e.problems.map((p) => ({ ...p, file: p.file === file ? shown : p.file })));
      else problems.push({ file: shown, path: "", message: (e as Error).message });
    }
  }
  if (files.length === 0)
    problems.push({ file: relative(cwd, dir) || dir, path: "", message: "no customer files (*.json or *.ts)" });
  if (problems.length) throw new CustomerFileError(problems);
  return loaded;
}
