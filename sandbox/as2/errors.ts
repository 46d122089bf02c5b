/**
 * Failure codes as AWS Transfer Family reports them in `failure-code` (status JSON and events).
 * The type is the set of codes in AWS's "AS2 error codes" table (handlers/send/failure-classes.ts,
 * as2-monitoring page, compared 2026-12-01): the emulator cannot emit a code AWS does not document,
 * so the sandbox does not prove the gateway's table against itself.
 */
import type { AwsFailureCode } from "../../handlers/send/failure-classes";

export type FailureCode = AwsFailureCode;

/** The documented codes the emulator and the AS2 library raise (a test checks each is in AWS's table). */
export const FAILURE_CODES = [
  "AGREEMENT_NOT_FOUND",
  "DECOMPRESSION_FAILED",
  "DECRYPT_FAILED",
  "DECRYPT_FAILED_INVALID_SMIME_FORMAT",
  "DECRYPT_FAILED_NO_DECRYPTION_KEY_FOUND",
  "HTTP_ERROR_RESPONSE_FROM_PARTNER",
  "INVALID_REQUEST",
  "MDN_RESPONSE_INDICATES_AUTHENTICATION_FAILED",
  "MDN_RESPONSE_INDICATES_DECOMPRESSION_FAILED",
  "MDN_RESPONSE_INDICATES_DECRYPTION_FAILED",
  "MDN_RESPONSE_INDICATES_INTEGRITY_CHECK_FAILED",
  "MDN_RESPONSE_INDICATES_UNEXPECTED_PROCESSING_ERROR",
  "SEND_FILE_NOT_FOUND",
  "UNABLE_TO_CONNECT_TO_REMOTE_HOST_OR_IP",
  "UNABLE_TO_RESOLVE_HOSTNAME",
  "VERIFICATION_FAILED",
  "VERIFICATION_FAILED_NO_MATCHING_KEY_FOUND",
] as const satisfies readonly FailureCode[];

/** RFC 4130 section 7.4.3 disposition modifiers that go with a failure. */
const DISPOSITION_MODIFIER: Partial<Record<FailureCode, string>> = {
  DECRYPT_FAILED: "decryption-failed",
  DECRYPT_FAILED_INVALID_SMIME_FORMAT: "decryption-failed",
  DECRYPT_FAILED_NO_DECRYPTION_KEY_FOUND: "decryption-failed",
  VERIFICATION_FAILED: "authentication-failed",
  VERIFICATION_FAILED_NO_MATCHING_KEY_FOUND: "authentication-failed",
  DECOMPRESSION_FAILED: "decompression-failed",
  AGREEMENT_NOT_FOUND: "unknown-trading-partner",
};

/**
 * The code Transfer reports for a negative MDN, by the MDN's error modifier (RFC 4130 7.4.3). AWS's
 * table has five `MDN_RESPONSE_INDICATES_*` codes; which one a modifier outside those four gets
 * (e.g. `insufficient-message-security`) is not documented: UNEXPECTED_PROCESSING_ERROR here.
 */
export function negativeMdnCode(modifier: string | undefined): FailureCode {
  switch ((modifier ?? "").trim().toLowerCase()) {
    case "authentication-failed":
      return "MDN_RESPONSE_INDICATES_AUTHENTICATION_FAILED";
    case "decompression-failed":
      return "MDN_RESPONSE_INDICATES_DECOMPRESSION_FAILED";
    case "decryption-failed":
      return "MDN_RESPONSE_INDICATES_DECRYPTION_FAILED";
    case "integrity-check-failed":
      return "MDN_RESPONSE_INDICATES_INTEGRITY_CHECK_FAILED";
    default:
      return "MDN_RESPONSE_INDICATES_UNEXPECTED_PROCESSING_ERROR";
  }
}

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
