/** The real receive handler, from Transfer's processed/ folder to inbox/ (wired as it lands). */
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Scenario } from "./scenario";

export function receiveScenario(): Scenario {
  return {
    id: "receive",
    label: "receive handler (real)",
    kind: "gateway",
    unavailable: (root) =>
      existsSync(join(root, "handlers", "receive"))
        ? "the receive handler is not wired into the bench yet"
        : "handlers/receive/ has not landed on main yet",
    place: async () => undefined,
    moveAll: async () => undefined,
    landedAt: async () => undefined,
  };
}
