/** The real send pipeline, from an upload under AS2/send/ to outbox/ (wired as the handlers land). */
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Scenario } from "./scenario";

export function sendScenario(): Scenario {
  return {
    id: "send",
    label: "send pipeline (real handlers)",
    kind: "gateway",
    fullSend: true,
    unavailable: (root) => (existsSync(join(root, "handlers", "send")) ? "the send handlers are not wired into the bench yet" : "handlers/send/ has not landed on main yet"),
    place: async () => undefined,
    move: async () => undefined,
    landedAt: async () => undefined,
  };
}
