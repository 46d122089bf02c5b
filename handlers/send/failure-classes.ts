/**
 * What to do with a failed send: the one table that classifies Transfer Family's AS2 failure codes.
 * Transfer does not retry a failed send; the gateway retries transient failures (the partner or the
 * network may recover) and fails permanent ones at once (someone has to change a certificate, a URL
 * or an agreement; retrying would only delay telling them).
 *
 * docs: the codes are exactly those of the "AS2 error codes" table in the Transfer Family user guide,
 * "Monitoring AS2 usage" (https://docs.aws.amazon.com/transfer/latest/userguide/as2-monitoring.html),
 * compared 2026-12-01; AWS's spelling is kept (`INSUFFICENT_MESSAGE_SECURITY_UNENCRYPTED`). A code
 * outside the table is permanent (a retry loop on an error nobody understands hides it) and is logged
 * as UNCLASSIFIED_FAILURE_LOG_MESSAGE, which the stack counts and alarms on, so a new code gets
 * noticed and added here. The gateway's own codes (reasons it detects itself) are a separate table.
 */
import { logger } from "../shared/logger";
import { UNCLASSIFIED_FAILURE_LOG_MESSAGE } from "../../model/failure-metric";
import { START_FILE_TRANSFER_REJECTED_ADVICE, THROTTLED_RETRIES_EXHAUSTED_ADVICE } from "./gateway-failures";

export type FailureClass = "transient" | "permanent";

/**
 * How a transient failure is retried: `backoff` up to the customer's `retry.maxAttempts` (a partner
 * outage or DNS failure can last hours), `small-cap` up to SMALL_CAP_ATTEMPTS (a glitch worth one or
 * two more tries, but a persistent one is a configuration problem somebody must fix).
 */
export type RetryMode = "backoff" | "small-cap";

/** Attempts (the first one included) for `small-cap` failures. */
export const SMALL_CAP_ATTEMPTS = 3;

export type FailureRule =
  | { readonly class: "transient"; readonly retry: RetryMode; readonly advice: string }
  | { readonly class: "permanent"; readonly advice: string };

const backoff = (advice: string): FailureRule => ({ class: "transient", retry: "backoff", advice });
const smallCap = (advice: string): FailureRule => ({ class: "transient", retry: "small-cap", advice });
const permanent = (advice: string): FailureRule => ({ class: "permanent", advice });

/** AWS's "AS2 error codes" table, every code and nothing else (see the header for the page and date). */
const AWS_TABLE = {
  ACCESS_DENIED: permanent(
    "Transfer could not read the file or assume the connector's role: check the connector's access role, the bucket policy and the KMS key policy",
  ),
  AGREEMENT_NOT_FOUND: permanent(
    "no agreement matches the AS2 IDs of the message: check the agreement's local and partner profiles against the partner's AS2-From/AS2-To",
  ),
  CONNECTOR_NOT_FOUND: permanent(
    "the partner's connector does not exist (deleted or replaced): apply the customer stack again so the routing document names the current connector",
  ),
  CREDENTIALS_RETRIEVAL_FAILED: smallCap(
    "Transfer could not read the connector's basic-auth secret (can be throttling): retried a few times; if it persists check the secret, its KMS key and the connector role",
  ),
  DECOMPRESSION_FAILED: permanent(
    "a compressed part could not be decompressed: check the compression settings with the partner",
  ),
  DECRYPT_FAILED: permanent(
    "the message or MDN could not be decrypted: check that the partner encrypts with the station's current encryption certificate",
  ),
  DECRYPT_FAILED_INVALID_SMIME_FORMAT: permanent(
    "the encrypted part is not valid S/MIME: ask the partner to check its AS2 software's encryption output",
  ),
  DECRYPT_FAILED_NO_DECRYPTION_KEY_FOUND: permanent(
    "no station private key matches the encryption: give the partner the station's current encryption certificate",
  ),
  DECRYPT_FAILED_UNSUPPORTED_ENCRYPTION_ALG: permanent(
    "the partner encrypts with an algorithm Transfer does not support: agree on AES128/192/256-CBC (3DES inbound only)",
  ),
  DUPLICATE_MESSAGE: permanent(
    "Transfer reports a duplicate or double-processed step for this message: check with the partner whether it arrived before sending it again",
  ),
  ENCRYPT_FAILED_NO_ENCRYPTION_KEY_FOUND: permanent(
    "the partner profile has no encryption certificate: import the partner's encryption certificate (partners[].certificates.encryption)",
  ),
  ENCRYPTION_FAILED: permanent(
    "the payload could not be encrypted for the partner: check the partner's encryption certificate and the connector's encryption algorithm",
  ),
  FILE_SIZE_TOO_LARGE: permanent(
    "the file is larger than Transfer Family sends over AS2: split it or agree another channel with the partner",
  ),
  HTTP_ERROR_RESPONSE_FROM_PARTNER: backoff(
    "the partner's server answered with an HTTP error; 5xx, 408 and 429 are retried with backoff, other 4xx mean the partner rejected the message",
  ),
  INSUFFICENT_MESSAGE_SECURITY_UNENCRYPTED: permanent(
    "the message was not encrypted but encryption is required: set the partner's outbound encryption (NONE only with an https URL)",
  ),
  INVALID_ENDPOINT_PROTOCOL: permanent(
    "the partner URL uses a protocol Transfer does not send to: use an http:// or https:// URL",
  ),
  INVALID_REQUEST: permanent(
    "Transfer rejected the request as invalid: check the connector's configuration and the file path",
  ),
  INVALID_URL_FORMAT: permanent("the partner URL is malformed: fix partners[].url and apply the stack again"),
  MDN_RESPONSE_INDICATES_AUTHENTICATION_FAILED: permanent(
    "the partner's MDN says authentication failed: the partner cannot verify the station's signature; give it the station's current signing certificate",
  ),
  MDN_RESPONSE_INDICATES_DECOMPRESSION_FAILED: permanent(
    "the partner's MDN says it could not decompress the payload: agree on compression (ZLIB or DISABLED) with the partner",
  ),
  MDN_RESPONSE_INDICATES_DECRYPTION_FAILED: permanent(
    "the partner's MDN says it could not decrypt the message: check that the connector uses the partner's current encryption certificate and an algorithm it supports",
  ),
  MDN_RESPONSE_INDICATES_INTEGRITY_CHECK_FAILED: permanent(
    "the partner's MDN says the integrity check failed: compare signing algorithms and certificates with the partner, then send again",
  ),
  MDN_RESPONSE_INDICATES_UNEXPECTED_PROCESSING_ERROR: smallCap(
    "the partner's MDN reports an unexpected processing error on its side: retried a few times; if it persists contact the partner",
  ),
  PATH_NOT_FOUND: permanent(
    "Transfer did not find the path it was given (bucket or folder): check the bucket and the connector role's access",
  ),
  SEND_FILE_NOT_FOUND: permanent(
    "the file to send was gone when Transfer read it: check that nothing else deletes files under _gateway/outbound/, then upload it again",
  ),
  SERVER_NOT_FOUND: permanent(
    "the AS2 server referenced by the agreement or the async MDN settings does not exist: apply the customer stack again",
  ),
  SERVER_NOT_ONLINE: smallCap(
    "the AS2 server is not online: retried a few times; start the server (aws transfer start-server) if it stays offline",
  ),
  SIGNING_FAILED: permanent(
    "the payload could not be signed: check the station's signing certificate and its private key",
  ),
  SIGNING_FAILED_NO_SIGNING_KEY_FOUND: permanent(
    "the station's local profile has no signing key: import the station's signing certificate with its private key",
  ),
  UNABLE_RESOLVE_HOST_TO_IP_ADDRESS: backoff(
    "the partner's host name did not resolve to an IP address (DNS); retried with backoff, check the partner URL if it persists",
  ),
  UNABLE_TO_CONNECT_TO_REMOTE_HOST_OR_IP: backoff(
    "the partner's AS2 endpoint did not answer (down, firewall, timeout); retried with backoff, check the URL and firewall rules if it persists",
  ),
  UNABLE_TO_RESOLVE_HOSTNAME: backoff(
    "the partner's host name did not resolve (DNS); retried with backoff, check the partner URL if it persists",
  ),
  VERIFICATION_FAILED: permanent(
    "a signature did not verify: check that the partner profile holds the partner's current signing certificate",
  ),
  VERIFICATION_FAILED_NO_MATCHING_KEY_FOUND: permanent(
    "no partner certificate matches the signature: import the partner's current signing certificate",
  ),
} satisfies Record<string, FailureRule>;

/** A code of AWS's table (what an emulator of Transfer may emit, and nothing else). */
export type AwsFailureCode = keyof typeof AWS_TABLE;

export const AWS_FAILURE_CODES: Readonly<Record<string, FailureRule>> = AWS_TABLE;

/** The gateway's own codes, for reasons it detects itself (not Transfer's; never in Transfer events). */
export const GATEWAY_FAILURE_CODES: Readonly<Record<string, FailureRule>> = {
  NEGATIVE_MDN: permanent(
    "the partner returned an MDN whose disposition is not 'processed': it rejected the message (see the MDN)",
  ),
  THROTTLED_RETRIES_EXHAUSTED: permanent(THROTTLED_RETRIES_EXHAUSTED_ADVICE),
  START_FILE_TRANSFER_REJECTED: permanent(START_FILE_TRANSFER_REJECTED_ADVICE),
  OUTCOME_UNKNOWN: permanent(
    "the gateway stopped while starting the transfer and no result arrived: check with the partner before sending the file again",
  ),
};

/** Both tables: what classifyFailure knows. */
export const FAILURE_CLASSES: Readonly<Record<string, FailureRule>> = {
  ...AWS_FAILURE_CODES,
  ...GATEWAY_FAILURE_CODES,
};

export interface Classification {
  readonly code: string;
  /** Whether the code is in one of the tables (false: treated as permanent, and counted). */
  readonly known: boolean;
  readonly class: FailureClass;
  /** Attempts allowed (first one included) for a transient failure; undefined: the customer's retry.maxAttempts. */
  readonly maxAttempts?: number;
  /** What a person reading the failure record should check: one line, written into the record. */
  readonly advice: string;
}

/** HTTP status in Transfer's failure message ("... returned status 500 for message ..."). */
export function httpStatusIn(message: string | undefined): number | undefined {
  const m =
    message?.match(/\bstatus(?: code)?[:\s]+(\d{3})\b/i) ?? message?.match(/\bHTTP(?:\/\d(?:\.\d)?)?\s+(\d{3})\b/i);
  return m ? Number(m[1]) : undefined;
}

function fromRule(code: string, rule: FailureRule): Classification {
  if (rule.class === "permanent") return { code, known: true, class: "permanent", advice: rule.advice };
  return {
    code,
    known: true,
    class: "transient",
    advice: rule.advice,
    ...(rule.retry === "small-cap" ? { maxAttempts: SMALL_CAP_ATTEMPTS } : {}),
  };
}

/** Permanent, and one structured log line the stack's metric filter counts (an alarm follows). */
function unclassified(code: string, advice: string, message: string | undefined): Classification {
  logger.warn(UNCLASSIFIED_FAILURE_LOG_MESSAGE, { failureCode: code, failureMessage: message });
  return { code, known: false, class: "permanent", advice };
}

export function classifyFailure(code: string | undefined, message?: string): Classification {
  const key = (code ?? "").trim().toUpperCase();
  if (key === "") {
    return unclassified(
      "UNKNOWN",
      "Transfer reported a failure without a failure code; see the failure message",
      message,
    );
  }
  const rule = FAILURE_CLASSES[key];
  if (!rule) {
    return unclassified(
      key,
      `Transfer reported failure code ${key}, which is not in AWS's documented table; treated as permanent rather than retried blindly`,
      message,
    );
  }
  if (key === "HTTP_ERROR_RESPONSE_FROM_PARTNER") {
    const status = httpStatusIn(message);
    if (status !== undefined && status >= 400 && status < 500 && status !== 408 && status !== 429) {
      return {
        code: key,
        known: true,
        class: "permanent",
        advice: `the partner rejected the message with HTTP ${status}: check the partner's URL, AS2 IDs and certificates with the partner`,
      };
    }
    if (status !== undefined)
      return {
        code: key,
        known: true,
        class: "transient",
        advice: `the partner's server answered HTTP ${status}; retried with backoff`,
      };
  }
  return fromRule(key, rule);
}

/**
 * Whether an MDN disposition says the partner processed the message. RFC 4130 / 3798:
 * `automatic-action/MDN-sent-automatically; processed` is positive; `processed/error: ...`,
 * `processed/warning` is still positive (warnings are informational), `failed` or an error is negative.
 */
export function isPositiveDisposition(disposition: string | undefined): boolean {
  if (disposition === undefined || disposition.trim() === "") return true;
  const afterSemicolon = disposition
    .slice(disposition.indexOf(";") + 1)
    .trim()
    .toLowerCase();
  if (afterSemicolon.startsWith("failed")) return false;
  if (/^processed\s*\/\s*error/.test(afterSemicolon)) return false;
  return afterSemicolon.startsWith("processed");
}
