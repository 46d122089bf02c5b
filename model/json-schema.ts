/** JSON Schema for customer files, derived from the zod schema so the two never disagree. */
import { z } from "zod";
import { customerSchema } from "./customer";

export function customerJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(customerSchema, { io: "input", unrepresentable: "any" }) as Record<string, unknown>;
  return {
    ...schema,
    $id: "https://github.com/as2-transfer-gateway/templates/customer.schema.json",
    title: "as2-transfer-gateway customer",
    description: "One customer's AS2 gateway: stations, trading partners and settings. See README.md.",
  };
}

export function customerJsonSchemaText(): string {
  return `${JSON.stringify(customerJsonSchema(), null, 2)}\n`;
}
