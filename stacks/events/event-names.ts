/**
 * Physical names for the event-delivery resources. AWS caps them (rules, connections, API
 * destinations and Firehose streams at 64 characters, queues at 80); a customer name of 32 and a
 * webhook name of 40 can exceed that, so long names are cut and made unique again with a hash.
 */
import { stableTag } from "../../model/layout";

export function physicalName(parts: readonly string[], max = 64): string {
  const full = parts.join("-");
  if (full.length <= max) return full;
  const tag = stableTag(full, 8);
  return `${full.slice(0, max - tag.length - 1)}-${tag}`;
}
