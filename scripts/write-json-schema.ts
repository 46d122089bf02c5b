/** Regenerates templates/customer.schema.json and templates/domain-event.schema.json (a test fails when either is stale). */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { customerJsonSchemaText } from "../model/json-schema";
import { domainEventJsonSchemaText } from "../model/event-schema";

const out = join(__dirname, "..", "templates", "customer.schema.json");
writeFileSync(out, customerJsonSchemaText());
console.log(`wrote ${out}`);
const events = join(__dirname, "..", "templates", "domain-event.schema.json");
writeFileSync(events, domainEventJsonSchemaText());
console.log(`wrote ${events}`);
