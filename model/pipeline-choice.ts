/** Which pipeline a partner uses (no zod here: handler bundles import this through model/pipeline-document.ts). */
import type { Pipeline } from "./pipeline";

/** The pipeline a partner's documents go through, or undefined when it has none. */
export function effectivePipeline(
  station: { readonly pipeline?: Pipeline | undefined } | undefined,
  partner: { readonly pipeline?: Pipeline | false | undefined },
): Pipeline | undefined {
  if (partner.pipeline === false) return undefined;
  return partner.pipeline ?? station?.pipeline;
}
