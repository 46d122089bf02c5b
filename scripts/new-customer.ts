/** `npm run new-customer -- <name>`: writes customers/<name>.ts from templates/, never overwriting. */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { customerSchema } from "../model/customer";

export function scaffoldCustomer(name: string, dir: string, templateDir = join(__dirname, "..", "templates")): string {
  const nameCheck = customerSchema.shape.name.safeParse(name);
  if (!nameCheck.success)
    throw new Error(`'${name}' is not a valid customer name: ${nameCheck.error.issues[0]!.message}`);
  const existing = [".ts", ".json"].map((ext) => join(dir, `${name}${ext}`)).find((f) => existsSync(f));
  if (existing) throw new Error(`${existing} already exists; refusing to overwrite it`);
  const text = readFileSync(join(templateDir, "customer.template.ts"), "utf8")
    .replaceAll("__NAME__", name)
    .replaceAll("__STATION__", `${name.toUpperCase()}-AS2`)
    .replaceAll("__MODEL__", modelImport(dir));
  const out = join(dir, `${name}.ts`);
  writeFileSync(out, text, { flag: "wx" });
  return out;
}

/** Import path of model/customer as seen from the customers folder (which may live anywhere). */
function modelImport(dir: string): string {
  const rel = relative(dir, join(__dirname, "..", "model", "customer"))
    .split(sep)
    .join("/");
  return rel.startsWith(".") ? rel : `./${rel}`;
}

if (require.main === module) {
  const name = process.argv[2];
  if (!name) {
    console.error("usage: npm run new-customer -- <name>");
    process.exit(2);
  }
  try {
    const dir = process.env.AS2_CUSTOMERS_DIR ?? join(__dirname, "..", "customers");
    const out = scaffoldCustomer(name, dir);
    console.log(`wrote ${out}\nnext: add the partner certificates it names, then npm run synth`);
  } catch (e) {
    console.error((e as Error).message);
    process.exit(1);
  }
}
