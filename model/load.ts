/**
 * Loads customer files (JSON or TypeScript) and turns every problem into one line a person can
 * act on: file, field path, what was expected, what was found.
 */
import { readdirSync, readFileSync, existsSync, statSync } from "node:fs";
import { join, resolve, relative, extname, dirname, isAbsolute } from "node:path";
import { pathToFileURL } from "node:url";

import { customerSchema, type Customer } from "./customer";
import { inspectCertificates, type CertificatePurpose } from "./certificate-file";
import { exposureProblems } from "./exposure-checks";

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
export function validateCustomer(raw: unknown, file: string, now = new Date()): Customer {
  const depth = nestingProblem(raw, file);
  if (depth) throw new CustomerFileError([depth]);
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
    for (const p of exposureProblems(result.data))
      problems.push({ file, path: pathString(p.path), message: p.message, found: p.found });
    problems.push(...certificateFileProblems(result.data, file, now));
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

/** A certificate file larger than this is not a certificate (and reading it is a cost). */
export const MAX_CERTIFICATE_FILE_BYTES = 1024 * 1024;

/** Every public certificate reference of a customer, with what it is imported for. */
function certificateReferences(
  c: Customer,
): { ref: unknown; path: (string | number)[]; purpose: CertificatePurpose }[] {
  const out: { ref: unknown; path: (string | number)[]; purpose: CertificatePurpose }[] = [];
  c.stations.forEach((s, i) => {
    for (const k of ["signing", "encryption"] as const) {
      const kp = s[k];
      if (!kp || !("certificate" in kp)) continue;
      // Without an encryption key pair, the signing certificate is imported for both usages.
      const purpose = k === "encryption" ? "encryption" : s.encryption ? "signing" : "signing+encryption";
      out.push({ ref: kp.certificate, path: ["stations", i, k, "certificate"], purpose });
      if (kp.chain) out.push({ ref: kp.chain, path: ["stations", i, k, "chain"], purpose: "chain" });
    }
  });
  c.partners.forEach((p, i) => {
    const signingPurpose = p.certificates.encryption ? "signing" : "signing+encryption";
    out.push({
      ref: p.certificates.signing,
      path: ["partners", i, "certificates", "signing"],
      purpose: signingPurpose,
    });
    if (p.certificates.encryption)
      out.push({
        ref: p.certificates.encryption,
        path: ["partners", i, "certificates", "encryption"],
        purpose: "encryption",
      });
  });
  return out;
}

/**
 * Reads every referenced certificate (file or inline PEM) and checks it: private key material,
 * format, parse, validity dates, key type and size, key usage (model/certificate-file.ts).
 */
function certificateFileProblems(c: Customer, file: string, now: Date): CustomerProblem[] {
  const out: CustomerProblem[] = [];
  for (const { ref, path, purpose } of certificateReferences(c)) {
    if (!ref || typeof ref !== "object") continue;
    let bytes: Buffer;
    let shown: string;
    let fieldPath: string;
    if ("file" in ref && typeof ref.file === "string") {
      const p = resolveRelative(file, ref.file);
      fieldPath = pathString([...path, "file"]);
      shown = JSON.stringify(ref.file);
      if (!existsSync(p) || !statSync(p).isFile()) {
        out.push({ file, path: fieldPath, message: "certificate file not found", found: JSON.stringify(p) });
        continue;
      }
      const size = statSync(p).size;
      if (size > MAX_CERTIFICATE_FILE_BYTES) {
        out.push({
          file,
          path: fieldPath,
          message: `expected a certificate file of at most ${MAX_CERTIFICATE_FILE_BYTES} bytes`,
          found: `${shown}: ${size} bytes`,
        });
        continue;
      }
      bytes = readFileSync(p);
    } else if ("pem" in ref && typeof ref.pem === "string") {
      fieldPath = pathString([...path, "pem"]);
      shown = "inline PEM";
      bytes = Buffer.from(ref.pem, "utf8");
    } else continue;
    const name = "file" in ref && typeof ref.file === "string" ? ref.file : "";
    for (const f of inspectCertificates(bytes, purpose, now, name).findings)
      out.push({ file, path: fieldPath, message: f.message, found: `${shown}: ${f.found}` });
  }
  return out;
}

export function resolveRelative(customerFile: string, path: string): string {
  return isAbsolute(path) ? path : resolve(dirname(customerFile), path);
}

/**
 * Reads a public certificate reference as PEM text: its CERTIFICATE blocks only, so that nothing
 * else a file holds can reach the synthesized JSON (validateCustomer has refused key material).
 */
export function readCertificate(customerFile: string, ref: { file: string } | { pem: string }): string {
  const bytes = "pem" in ref ? Buffer.from(ref.pem, "utf8") : readFileSync(resolveRelative(customerFile, ref.file));
  const inspected = inspectCertificates(bytes, "chain");
  if (!inspected.pem) throw new Error(`no CERTIFICATE block in ${"pem" in ref ? "inline PEM" : ref.file}`);
  return inspected.pem;
}

/** Deeper than any customer declaration; deeper input is refused before it can exhaust a stack. */
export const MAX_NESTING = 32;

function nestingProblem(raw: unknown, file: string): CustomerProblem | undefined {
  const stack: [unknown, number][] = [[raw, 0]];
  while (stack.length) {
    const [v, d] = stack.pop()!;
    if (!v || typeof v !== "object") continue;
    if (d >= MAX_NESTING)
      return {
        file,
        path: "",
        message: `expected a customer declaration nested at most ${MAX_NESTING} levels deep`,
        found: `more than ${MAX_NESTING} levels`,
      };
    for (const x of Object.values(v)) stack.push([x, d + 1]);
  }
  return undefined;
}

/** A declaration of 1000 partners is about 1 MB: anything much larger is not a customer file. */
export const MAX_CUSTOMER_FILE_BYTES = 8 * 1024 * 1024;

async function readRaw(file: string): Promise<unknown> {
  if (file.endsWith(".json")) {
    const size = statSync(file).size;
    if (size > MAX_CUSTOMER_FILE_BYTES)
      throw new CustomerFileError([
        {
          file,
          path: "",
          message: `expected a customer file of at most ${MAX_CUSTOMER_FILE_BYTES} bytes`,
          found: `${size} bytes`,
        },
      ]);
    // Editors on Windows may start the file with a byte order mark; JSON.parse does not skip it.
    const text = readFileSync(file, "utf8").replace(/^\uFEFF/, "");
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
