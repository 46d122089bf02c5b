/**
 * Synthesizes one customer with the project's own app (main.ts, through AS2_CUSTOMERS_DIR and
 * CDKTF_OUTDIR), optionally with overrides merged into a copy of a JSON customer file (for example a
 * shorter settle time for a rehearsal). The certificate files the customer references are copied
 * beside the copy.
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { basename, dirname, extname, join, resolve } from "node:path";

export const ROOT = resolve(__dirname, "..", "..");

export interface SynthesizeOptions {
  /** A customer name in customers/ (or AS2_CUSTOMERS_DIR), or a path to a customer file. */
  readonly customer: string;
  readonly workDir: string;
  /** Deep-merged into a JSON customer file before synthesis. */
  readonly overrides?: Record<string, unknown>;
}

export interface Synthesized {
  readonly customerName: string;
  readonly customerFile: string;
  readonly stackDir: string;
  readonly output: string;
}

function merge(base: unknown, over: unknown): unknown {
  if (
    over &&
    typeof over === "object" &&
    !Array.isArray(over) &&
    base &&
    typeof base === "object" &&
    !Array.isArray(base)
  ) {
    const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
    for (const [k, v] of Object.entries(over)) out[k] = merge(out[k], v);
    return out;
  }
  return over === undefined ? base : over;
}

/** Finds the customer file: a path, or a name in the customers folder. */
export function findCustomerFile(customer: string): string {
  if (existsSync(customer) && !customer.endsWith("/")) return resolve(customer);
  const dir = resolve(process.env["AS2_CUSTOMERS_DIR"] ?? join(ROOT, "customers"));
  for (const ext of [".json", ".ts"]) {
    const f = join(dir, `${customer}${ext}`);
    if (existsSync(f)) return f;
  }
  const names = existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => /\.(json|ts)$/.test(f))
        .map((f) => f.replace(/\.(json|ts)$/, ""))
    : [];
  throw new Error(`no customer '${customer}' in ${dir}${names.length ? `; found: ${names.join(", ")}` : ""}`);
}

/** Copies files referenced as `{ "file": "relative/path" }` next to the copy. */
function copyReferencedFiles(value: unknown, fromDir: string, toDir: string): void {
  if (Array.isArray(value)) value.forEach((v) => copyReferencedFiles(v, fromDir, toDir));
  else if (value && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) {
      if (k === "file" && typeof v === "string" && existsSync(join(fromDir, v))) {
        mkdirSync(dirname(join(toDir, v)), { recursive: true });
        copyFileSync(join(fromDir, v), join(toDir, v));
      } else copyReferencedFiles(v, fromDir, toDir);
    }
  }
}

export function synthesize(o: SynthesizeOptions): Synthesized {
  const file = findCustomerFile(o.customer);
  let customersDir = dirname(file);
  let customerFile = file;
  if (extname(file) === ".json") {
    // Synthesize this customer alone, from a copy (with the overrides, if any).
    customersDir = join(o.workDir, "customers");
    mkdirSync(customersDir, { recursive: true });
    const json = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
    delete json["$schema"];
    customerFile = join(customersDir, basename(file));
    writeFileSync(customerFile, JSON.stringify(merge(json, o.overrides ?? {}), null, 2));
    copyReferencedFiles(json, dirname(file), customersDir);
  } else if (o.overrides && Object.keys(o.overrides).length > 0) {
    throw new Error(`overrides apply to JSON customer files only (${file})`);
  }
  const outdir = join(o.workDir, "cdktf.out");
  const r = spawnSync(join(ROOT, "node_modules", ".bin", "tsx"), [join(ROOT, "main.ts")], {
    cwd: ROOT,
    env: { ...process.env, AS2_CUSTOMERS_DIR: customersDir, CDKTF_OUTDIR: outdir },
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`synth failed:\n${r.stderr || r.stdout}`);
  const text = readFileSync(customerFile, "utf8").replace(/^\uFEFF/, "");
  const customerName =
    extname(customerFile) === ".json"
      ? String((JSON.parse(text) as { name?: string }).name)
      : (/\bname:\s*["']([a-z0-9-]+)["']/.exec(text)?.[1] ?? basename(customerFile, ".ts"));
  const stackDir = join(outdir, "stacks", `customer-${customerName}`);
  if (!existsSync(join(stackDir, "cdk.tf.json")))
    throw new Error(`synth wrote no stack for ${customerName} in ${outdir}`);
  return { customerName, customerFile, stackDir, output: r.stdout };
}
