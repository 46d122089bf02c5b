import {
  AWS_FAILURE_CODES,
  FAILURE_CLASSES,
  GATEWAY_FAILURE_CODES,
  SMALL_CAP_ATTEMPTS,
  classifyFailure,
  httpStatusIn,
  isPositiveDisposition,
} from "../../handlers/send/failure-classes";
import { logger } from "../../handlers/shared/logger";
import { UNCLASSIFIED_FAILURE_LOG_MESSAGE } from "../../model/failure-metric";

/**
 * AWS's "AS2 error codes" table (Transfer user guide, "Monitoring AS2 usage", as2-monitoring.html),
 * compared 2026-12-01, with the class the gateway gives each code. Written out here, not derived from
 * the table under test, so a code added to or dropped from either side fails this test.
 */
const DOCUMENTED: Record<string, "backoff" | "small-cap" | "permanent"> = {
  ACCESS_DENIED: "permanent",
  AGREEMENT_NOT_FOUND: "permanent",
  CONNECTOR_NOT_FOUND: "permanent",
  CREDENTIALS_RETRIEVAL_FAILED: "small-cap",
  DECOMPRESSION_FAILED: "permanent",
  DECRYPT_FAILED: "permanent",
  DECRYPT_FAILED_INVALID_SMIME_FORMAT: "permanent",
  DECRYPT_FAILED_NO_DECRYPTION_KEY_FOUND: "permanent",
  DECRYPT_FAILED_UNSUPPORTED_ENCRYPTION_ALG: "permanent",
  DUPLICATE_MESSAGE: "permanent",
  ENCRYPT_FAILED_NO_ENCRYPTION_KEY_FOUND: "permanent",
  ENCRYPTION_FAILED: "permanent",
  FILE_SIZE_TOO_LARGE: "permanent",
  HTTP_ERROR_RESPONSE_FROM_PARTNER: "backoff",
  INSUFFICENT_MESSAGE_SECURITY_UNENCRYPTED: "permanent",
  INVALID_ENDPOINT_PROTOCOL: "permanent",
  INVALID_REQUEST: "permanent",
  INVALID_URL_FORMAT: "permanent",
  MDN_RESPONSE_INDICATES_AUTHENTICATION_FAILED: "permanent",
  MDN_RESPONSE_INDICATES_DECOMPRESSION_FAILED: "permanent",
  MDN_RESPONSE_INDICATES_DECRYPTION_FAILED: "permanent",
  MDN_RESPONSE_INDICATES_INTEGRITY_CHECK_FAILED: "permanent",
  MDN_RESPONSE_INDICATES_UNEXPECTED_PROCESSING_ERROR: "small-cap",
  PATH_NOT_FOUND: "permanent",
  SEND_FILE_NOT_FOUND: "permanent",
  SERVER_NOT_FOUND: "permanent",
  SERVER_NOT_ONLINE: "small-cap",
  SIGNING_FAILED: "permanent",
  SIGNING_FAILED_NO_SIGNING_KEY_FOUND: "permanent",
  UNABLE_RESOLVE_HOST_TO_IP_ADDRESS: "backoff",
  UNABLE_TO_CONNECT_TO_REMOTE_HOST_OR_IP: "backoff",
  UNABLE_TO_RESOLVE_HOSTNAME: "backoff",
  VERIFICATION_FAILED: "permanent",
  VERIFICATION_FAILED_NO_MATCHING_KEY_FOUND: "permanent",
};

/** Codes the issue found in the old table that AWS does not document: they must stay out. */
const INVENTED = [
  "UNKNOWN_HOST",
  "UNABLE_TO_RESOLVE_HOST",
  "CONNECTION_TIMEOUT",
  "READ_TIMEOUT",
  "TIMEOUT",
  "INTERNAL_ERROR",
  "INTERNAL_SERVER_ERROR",
  "SERVICE_UNAVAILABLE",
  "THROTTLING",
  "THROTTLED",
  "NOT_FOUND",
  "INVALID_URL",
  "FILE_SIZE_EXCEEDED",
  "DECRYPT_FAILED_NO_MATCHING_KEY_FOUND",
  "INSUFFICIENT_MESSAGE_SECURITY",
  "MIC_MISMATCH",
  "SSL_HANDSHAKE_FAILED",
  "BAD_REQUEST",
];

describe("failure classes: AWS's documented table, one test per code", () => {
  let warn: jest.SpyInstance;
  beforeEach(() => {
    warn = jest.spyOn(logger, "warn").mockImplementation(() => undefined);
  });
  afterEach(() => warn.mockRestore());

  it("holds exactly AWS's documented codes, and the gateway's own codes apart", () => {
    expect(Object.keys(AWS_FAILURE_CODES).sort()).toEqual(Object.keys(DOCUMENTED).sort());
    expect(Object.keys(GATEWAY_FAILURE_CODES).filter((c) => c in AWS_FAILURE_CODES)).toEqual([]);
    expect(Object.keys(FAILURE_CLASSES).filter((c) => INVENTED.includes(c))).toEqual([]);
  });

  it.each(Object.entries(DOCUMENTED))("%s is %s, with an actionable one-line reason", (code, expected) => {
    const c = classifyFailure(code);
    expect(c.code).toBe(code);
    expect(c.known).toBe(true);
    expect(c.class).toBe(expected === "permanent" ? "permanent" : "transient");
    expect(c.maxAttempts).toBe(expected === "small-cap" ? SMALL_CAP_ATTEMPTS : undefined);
    expect(c.advice).toMatch(/^[a-zA-Z].{20,200}$/);
    expect(c.advice).not.toMatch(/\n/);
    expect(warn).not.toHaveBeenCalled();
  });

  it.each(Object.keys(GATEWAY_FAILURE_CODES))("gateway code %s is permanent", (code) => {
    expect(classifyFailure(code)).toMatchObject({ code, known: true, class: "permanent" });
  });

  it.each(INVENTED)("%s (not documented by AWS) is unknown: permanent and counted", (code) => {
    expect(classifyFailure(code, "m")).toMatchObject({ code, known: false, class: "permanent" });
    expect(warn).toHaveBeenCalledWith(UNCLASSIFIED_FAILURE_LOG_MESSAGE, { failureCode: code, failureMessage: "m" });
  });

  it("reads the partner's HTTP status: 5xx, 408, 429 retried; other 4xx rejected", () => {
    const m = (s: number) => `http://partner.example.com:10080 returned status ${s} for message with ID 9a9c@718d`;
    expect(classifyFailure("HTTP_ERROR_RESPONSE_FROM_PARTNER", m(500)).class).toBe("transient");
    expect(classifyFailure("HTTP_ERROR_RESPONSE_FROM_PARTNER", m(503)).class).toBe("transient");
    expect(classifyFailure("HTTP_ERROR_RESPONSE_FROM_PARTNER", m(408)).class).toBe("transient");
    expect(classifyFailure("HTTP_ERROR_RESPONSE_FROM_PARTNER", m(429)).class).toBe("transient");
    const rejected = classifyFailure("HTTP_ERROR_RESPONSE_FROM_PARTNER", m(403));
    expect(rejected.class).toBe("permanent");
    expect(rejected.advice).toMatch(/HTTP 403/);
    expect(httpStatusIn("no status here")).toBeUndefined();
  });

  it("treats unknown and missing codes as permanent, naming the code, and logs each for the metric", () => {
    const c = classifyFailure("SOMETHING_NEW", "whatever");
    expect(c).toMatchObject({ code: "SOMETHING_NEW", known: false, class: "permanent" });
    expect(c.advice).toMatch(/SOMETHING_NEW.*not in AWS's documented table/);
    expect(classifyFailure(undefined)).toMatchObject({ code: "UNKNOWN", known: false, class: "permanent" });
    expect(warn).toHaveBeenCalledTimes(2);
    expect(classifyFailure(" unable_to_resolve_hostname ").class).toBe("transient");
    expect(warn).toHaveBeenCalledTimes(2);
  });

  it("tells positive MDN dispositions from negative ones", () => {
    expect(isPositiveDisposition("automatic-action/MDN-sent-automatically; processed")).toBe(true);
    expect(
      isPositiveDisposition("automatic-action/MDN-sent-automatically; processed/warning: duplicate-document"),
    ).toBe(true);
    expect(isPositiveDisposition(undefined)).toBe(true);
    expect(isPositiveDisposition("automatic-action/MDN-sent-automatically; processed/error: decryption-failed")).toBe(
      false,
    );
    expect(isPositiveDisposition("automatic-action/MDN-sent-automatically; failed/failure: unsupported format")).toBe(
      false,
    );
  });
});
