/**
 * What to do with a failed send: the one table that classifies Transfer Family's AS2 failure codes.
 * Transfer does not retry a failed send; the gateway retries transient failures (the partner or the
 * network may recover) and fails permanent ones at once (someone has to change a certificate, a URL
 * or an agreement; retrying would only delay telling them).
 *
 * Codes come from the "AS2 error codes" table of the Transfer Family user guide (as2-monitoring /
 * as2-config-etc) and the documented event samples. A code not in the table is permanent: a retry
 * loop on an error nobody understands hides it, and the reason record names the code so it can be
 * added here.
 */

export type FailureClass = "transient" | "permanent";

export interface FailureRule {
  readonly class: FailureClass;
  /** What a person reading the reason record should check. */
  readonly advice: string;
}

export const FAILURE_CLASSES: Readonly<Record<string, FailureRule>> = {
  // The network or the partner's server: worth retrying.
  UNABLE_TO_CONNECT_TO_REMOTE_HOST_OR_IP: {
    class: "transient",
    advice: "the partner's AS2 endpoint did not answer (down, firewall, timeout); retried with backoff",
  },
  UNKNOWN_HOST: {
    class: "transient",
    advice: "the partner's host name did not resolve (DNS); retried with backoff, check the partner URL if it persists",
  },
  UNABLE_TO_RESOLVE_HOST: {
    class: "transient",
    advice: "the partner's host name did not resolve (DNS); retried with backoff, check the partner URL if it persists",
  },
  CONNECTION_TIMEOUT: { class: "transient", advice: "the connection to the partner timed out; retried with backoff" },
  READ_TIMEOUT: { class: "transient", advice: "the partner did not answer in time; retried with backoff" },
  TIMEOUT: { class: "transient", advice: "the exchange with the partner timed out; retried with backoff" },
  INTERNAL_ERROR: { class: "transient", advice: "Transfer Family reported an internal error; retried with backoff" },
  INTERNAL_SERVER_ERROR: {
    class: "transient",
    advice: "Transfer Family reported an internal error; retried with backoff",
  },
  SERVICE_UNAVAILABLE: { class: "transient", advice: "Transfer Family was unavailable; retried with backoff" },
  THROTTLING: { class: "transient", advice: "Transfer Family throttled the send; retried with backoff" },
  THROTTLED: { class: "transient", advice: "Transfer Family throttled the send; retried with backoff" },
  // HTTP_ERROR_RESPONSE_FROM_PARTNER is refined by the status in the message (see classifyFailure).
  HTTP_ERROR_RESPONSE_FROM_PARTNER: {
    class: "transient",
    advice:
      "the partner's server answered with an HTTP error; 5xx, 408 and 429 are retried, other 4xx mean the partner rejected the message",
  },

  // Configuration, certificates, agreements: retrying cannot help.
  ACCESS_DENIED: {
    class: "permanent",
    advice:
      "Transfer could not read the file or assume the connector's role: check the connector's access role and the bucket policy",
  },
  NOT_FOUND: { class: "permanent", advice: "Transfer did not find the file at the path it was given" },
  INVALID_URL: { class: "permanent", advice: "the partner URL of the connector is not valid: fix the partner's url" },
  FILE_SIZE_EXCEEDED: { class: "permanent", advice: "the file is larger than Transfer Family sends (1 GB)" },
  ENCRYPTION_FAILED: {
    class: "permanent",
    advice: "the payload could not be encrypted for the partner: check the partner's encryption certificate",
  },
  SIGNING_FAILED: {
    class: "permanent",
    advice: "the payload could not be signed: check the station's signing certificate and private key",
  },
  DECRYPT_FAILED: {
    class: "permanent",
    advice: "the partner's response could not be decrypted: check the station's encryption key pair",
  },
  DECRYPT_FAILED_NO_MATCHING_KEY_FOUND: {
    class: "permanent",
    advice: "no private key matches the partner's encryption: check which station certificate the partner uses",
  },
  DECOMPRESSION_FAILED: { class: "permanent", advice: "the partner's response could not be decompressed" },
  VERIFICATION_FAILED: {
    class: "permanent",
    advice: "the partner's MDN signature did not verify: check the partner's signing certificate",
  },
  VERIFICATION_FAILED_NO_MATCHING_KEY_FOUND: {
    class: "permanent",
    advice: "no partner certificate matches the MDN signature: import the partner's current signing certificate",
  },
  INSUFFICIENT_MESSAGE_SECURITY: {
    class: "permanent",
    advice:
      "the partner requires signing or encryption the connector does not use: align the outbound settings with the partner",
  },
  MIC_MISMATCH: {
    class: "permanent",
    advice:
      "the MDN's message integrity check does not match what was sent: the partner received something else; contact the partner",
  },
  SSL_HANDSHAKE_FAILED: {
    class: "permanent",
    advice: "the TLS handshake with the partner failed: check the partner's https certificate and URL",
  },
  DUPLICATE_MESSAGE: { class: "permanent", advice: "the partner reports it already received this message id" },
  BAD_REQUEST: { class: "permanent", advice: "the partner or Transfer rejected the request as malformed" },
  INVALID_REQUEST: {
    class: "permanent",
    advice: "Transfer rejected the request: check the connector and the file path",
  },
  // The gateway's own codes (not Transfer's), for reasons it detects itself.
  NEGATIVE_MDN: {
    class: "permanent",
    advice: "the partner returned an MDN whose disposition is not 'processed': it rejected the message (see the MDN)",
  },
  THROTTLED_RETRIES_EXHAUSTED: {
    class: "permanent",
    advice:
      "Transfer Family kept throttling StartFileTransfer; upload the file again when the load is lower or raise the quota",
  },
  START_FILE_TRANSFER_REJECTED: {
    class: "permanent",
    advice: "Transfer refused StartFileTransfer: check that the partner's connector exists and the gateway may use it",
  },
  OUTCOME_UNKNOWN: {
    class: "permanent",
    advice:
      "the gateway stopped while starting the transfer and no result arrived: check with the partner before sending the file again",
  },
};

export interface Classification extends FailureRule {
  readonly code: string;
  /** Whether the code is in the table (false: treated as permanent by default). */
  readonly known: boolean;
}

/** HTTP status in Transfer's failure message ("... returned status 500 for message ..."). */
export function httpStatusIn(message: string | undefined): number | undefined {
  const m =
    message?.match(/\bstatus(?: code)?[:\s]+(\d{3})\b/i) ?? message?.match(/\bHTTP(?:\/\d(?:\.\d)?)?\s+(\d{3})\b/i);
  return m ? Number(m[1]) : undefined;
}

export function classifyFailure(code: string | undefined, message?: string): Classification {
  const key = (code ?? "").trim().toUpperCase();
  if (key === "") {
    return {
      code: "UNKNOWN",
      known: false,
      class: "permanent",
      advice: "Transfer reported a failure without a failure code; see the failure message",
    };
  }
  const rule = FAILURE_CLASSES[key];
  if (!rule) {
    return {
      code: key,
      known: false,
      class: "permanent",
      advice: `Transfer reported failure code ${key}, which the gateway does not classify; treated as permanent rather than retried blindly`,
    };
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
  return { code: key, known: true, ...rule };
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
