/** Small value schemas shared by several parts of the customer declaration. */
import { z } from "zod";

export const cidr = z
  .string()
  .regex(/^(\d{1,3}\.){3}\d{1,3}\/(\d|[12]\d|3[0-2])$/, "an IPv4 CIDR such as 203.0.113.0/24")
  .refine(
    (s) =>
      s
        .split("/")[0]!
        .split(".")
        .every((o) => Number(o) <= 255),
    "octets 0-255",
  );
