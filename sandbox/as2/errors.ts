/**
 * Failure codes as AWS Transfer Family reports them in `failure-code` (status JSON and events).
 * Attested by the samples in shared/fixtures/aws-transfer: HTTP_ERROR_RESPONSE_FROM_PARTNER,
 * VERIFICATION_FAILED_NO_MATCHING_KEY_FOUND, DECRYPT_FAILED_NO_DECRYPTION_KEY_FOUND,
 * UNABLE_TO_CONNECT_TO_REMOTE_HOST_OR_IP, INVALID_REQUEST. The others are the names of Transfer's
 * "AS2 error codes" table (as2-monitoring documentation page), not attested by a sample here.
 */
export const FAILURE_CODES = [
  "ACCESS_DENIED",
  "BAD_REQUEST",
  "DECOMPRESSION_FAILED",
  "DECRYPT_FAILED",
  "DECRYPT_FAILED_NO_DECRYPTION_KEY_FOUND",
  "HTTP_ERROR_RESPONSE_FROM_PARTNER",
  "INTERNAL_ERROR",
  "INVALID_REQUEST",
  "NOT_FOUND",
  "PAYLOAD_SIZE_EXCEEDED",
  "UNABLE_TO_CONNECT_TO_REMOTE_HOST_OR_IP",
  "VERIFICATION_FAILED",
  "VERIFICATION_FAILED_NO_MATCHING_KEY_FOUND",
] as const;
export type FailureCode = (typeof FAILURE_CODES)[number];

/** RFC 4130 section 7.4.3 disposition modifiers that go with a failure. */
const DISPOSITION_MODIFIER: Partial<Record<FailureCode, string>> = {
  DECRYPT_FAILED: "decryption-failed",
  DECRYPT_FAILED_NO_DECRYPTION_KEY_FOUND: "decryption-failed",
  VERIFICATION_FAILED: "authentication-failed",
  VERIFICATION_FAILED_NO_MATCHING_KEY_FOUND: "authentication-failed",
  DECOMPRESSION_FAILED: "decompression-failed",
  NOT_FOUND: "unknown-trading-partner",
};

export class As2Error extends Error {
  constructor(
    readonly code: FailureCode,
    message: string,
  ) {
    super(message);
    this.name = "As2Error";
  }

  /** `processed/error: <modifier>` for the MDN. */
  get dispositionModifier(): string {
    return DISPOSITION_MODIFIER[this.code] ?? "unexpected-processing-error";
  }
}
