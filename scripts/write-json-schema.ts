/** Regenerates templates/customer.schema.json, templates/domain-event.schema.json, templates/openapi.json and templates/api-requests.schema.json (a test fails when any is stale). */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { customerJsonSchemaText } from "../model/json-schema";
import { domainEventJsonSchemaText } from "../model/event-schema";
import { openApiText, requestSchemasText } from "../model/api/openapi";

const out = join(__dirname, "..", "templates", "customer.schema.json");
writeFileSync(out, customerJsonSchemaText());
console.log(`wrote ${out}`);
const events = join(__dirname, "..", "templates", "domain-event.schema.json");
writeFileSync(events, domainEventJsonSchemaText());
console.log(`wrote ${events}`);
const openapi = join(__dirname, "..", "templates", "openapi.json");
writeFileSync(openapi, openApiText());
console.log(`wrote ${openapi}`);
const requests = join(__dirname, "..", "templates", "api-requests.schema.json");
writeFileSync(requests, requestSchemasText());
console.log(`wrote ${requests}`);
