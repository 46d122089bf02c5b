/** templates/openapi.json is generated (npm run schema), complete, and what the Lambda validates with. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import Ajv2020 from "ajv/dist/2020";
import { openApiDocument, openApiText, requestSchemas, requestSchemasText } from "../../model/api/openapi";
import { OPERATIONS } from "../../model/api/operations";
import { UNDERSTOOD_KEYWORDS, validate, type JsonSchema } from "../../handlers/api/validate";

const ROOT = join(__dirname, "..", "..");
const doc = openApiDocument() as {
  paths: Record<
    string,
    Record<string, { operationId: string; requestBody?: unknown; responses: Record<string, unknown> }>
  >;
  components: { schemas: Record<string, JsonSchema & Record<string, unknown>> };
};

function walk(schema: unknown, visit: (s: Record<string, unknown>) => void): void {
  if (typeof schema !== "object" || schema === null) return;
  const s = schema as Record<string, unknown>;
  visit(s);
  for (const p of Object.values((s.properties as Record<string, unknown>) ?? {})) walk(p, visit);
  if (s.items) walk(s.items, visit);
}

describe("OpenAPI document", () => {
  it("the committed templates/openapi.json is current (npm run schema)", () => {
    expect(readFileSync(join(ROOT, "templates", "openapi.json"), "utf8")).toBe(openApiText());
  });

  it("the committed templates/api-requests.schema.json (what the Lambda bundles) is current (npm run schema)", () => {
    expect(readFileSync(join(ROOT, "templates", "api-requests.schema.json"), "utf8")).toBe(requestSchemasText());
    expect(Object.keys(requestSchemas()).sort()).toEqual(
      Object.keys(doc.components.schemas)
        .filter((n) => n.endsWith("Request"))
        .sort(),
    );
  });

  it("documents every operation with a problem+json answer for its errors", () => {
    const ids = Object.values(doc.paths).flatMap((p) => Object.values(p).map((o) => o.operationId));
    expect(ids.sort()).toEqual(OPERATIONS.map((o) => o.id).sort());
    for (const p of Object.values(doc.paths))
      for (const o of Object.values(p))
        expect(JSON.stringify(o.responses["400"])).toContain("application/problem+json");
  });

  it("every component compiles as JSON Schema 2020-12 and its examples are valid", () => {
    const ajv = new Ajv2020({ strict: false });
    for (const [name, schema] of Object.entries(doc.components.schemas)) {
      const check = ajv.compile(schema);
      for (const example of (schema.examples as unknown[] | undefined) ?? []) {
        expect({ name, valid: check(example), errors: check.errors }).toMatchObject({ name, valid: true });
      }
    }
  });

  it("request schemas use only keywords the Lambda's validator enforces, and it agrees with ajv", () => {
    const ajv = new Ajv2020({ strict: false });
    for (const name of Object.keys(doc.components.schemas).filter((n) => n.endsWith("Request"))) {
      const schema = doc.components.schemas[name]!;
      walk(schema, (s) => {
        for (const k of Object.keys(s))
          expect({ name, keyword: k, known: UNDERSTOOD_KEYWORDS.has(k) }).toMatchObject({ known: true });
      });
      const check = ajv.compile(schema);
      const samples: unknown[] = [
        ...((schema.examples as unknown[]) ?? []),
        {},
        [],
        null,
        "x",
        { read: "yes" },
        { ids: [] },
        { ids: ["o-0", "i-3f9a0c1b2d4e5f60718293a4"] },
        { station: "A", partner: "B", files: [{ fileName: "a/b" }] },
        { station: "A B", partner: "B", files: [{ fileName: "a", size: 0 }] },
        { station: "A", partner: "B", files: [{ fileName: "a", contentBase64: "@@" }], extra: 1 },
        { station: "A", partner: "B", files: [{ fileName: "a", size: 3 }] },
      ];
      const bundled = requestSchemas()[name] as JsonSchema;
      for (const sample of samples)
        expect({ name, sample, ok: validate(bundled, sample).length === 0 }).toEqual({
          name,
          sample,
          ok: check(sample),
        });
    }
  });
});
