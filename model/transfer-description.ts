/**
 * Transfer's `Description` fields (agreements, connectors, certificates) must match
 * `[\u0021-\u007E]+` (CloudFormation AWS::Transfer::Agreement / ::Connector, compared 2026-12-01):
 * no spaces, no non-ASCII. A description built from customer text is sanitized here, so a customer
 * file that synthesizes does not fail at apply time.
 */

/** Longest description Transfer accepts. */
export const TRANSFER_DESCRIPTION_MAX = 200;

/** `text` with every character outside `!`..`~` replaced by `_`, cut to 200; `-` when nothing is left. */
export function transferDescription(text: string): string {
  const clean = Array.from(text.trim())
    .map((ch) => (/^[\u0021-\u007E]$/.test(ch) ? ch : "_"))
    .join("")
    .slice(0, TRANSFER_DESCRIPTION_MAX);
  return clean === "" ? "-" : clean;
}
