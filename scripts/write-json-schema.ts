/** Regenerates templates/customer.schema.json (a test fails when it is stale). */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { customerJsonSchemaText } from "../model/json-schema";

const out = join(__dirname, "..", "templates", "customer.schema.json");
writeFileSync(out, customerJsonSchemaText());
console.log(`wrote ${out}`);
