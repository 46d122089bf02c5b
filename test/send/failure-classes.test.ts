import {
  FAILURE_CLASSES,
  classifyFailure,
  httpStatusIn,
  isPositiveDisposition,
} from "../../handlers/send/failure-classes";

const TRANSIENT = [
  "UNABLE_TO_CONNECT_TO_REMOTE_HOST_OR_IP",
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
  "HTTP_ERROR_RESPONSE_FROM_PARTNER",
];
const PERMANENT = [
  "ACCESS_DENIED",
  "NOT_FOUND",
  "INVALID_URL",
  "FILE_SIZE_EXCEEDED",
  "ENCRYPTION_FAILED",
  "SIGNING_FAILED",
  "DECRYPT_FAILED",
  "DECRYPT_FAILED_NO_MATCHING_KEY_FOUND",
  "DECOMPRESSION_FAILED",
  "VERIFICATION_FAILED",
  "VERIFICATION_FAILED_NO_MATCHING_KEY_FOUND",
  "INSUFFICIENT_MESSAGE_SECURITY",
  "MIC_MISMATCH",
  "SSL_HANDSHAKE_FAILED",
  "DUPLICATE_MESSAGE",
  "BAD_REQUEST",
  "INVALID_REQUEST",
  "NEGATIVE_MDN",
  "THROTTLED_RETRIES_EXHAUSTED",
  "START_FILE_TRANSFER_REJECTED",
  "OUTCOME_UNKNOWN",
];

describe("failure classes: one table, one test per code", () => {
  it("lists every code of the table in exactly one of the expectations below", () => {
    expect([...TRANSIENT, ...PERMANENT].sort()).toEqual(Object.keys(FAILURE_CLASSES).sort());
  });
  it.each(TRANSIENT)("%s is transient (retried)", (code) => {
    const c = classifyFailure(code);
    expect(c).toMatchObject({ code, known: true, class: "transient" });
    expect(c.advice.length).toBeGreaterThan(10);
  });
  it.each(PERMANENT)("%s is permanent (failed at once)", (code) => {
    const c = classifyFailure(code);
    expect(c).toMatchObject({ code, known: true, class: "permanent" });
    expect(c.advice.length).toBeGreaterThan(10);
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
  it("treats unknown and missing codes as permanent, naming the code", () => {
    const c = classifyFailure("SOMETHING_NEW", "whatever");
    expect(c).toMatchObject({ code: "SOMETHING_NEW", known: false, class: "permanent" });
    expect(c.advice).toMatch(/SOMETHING_NEW.*does not classify/);
    expect(classifyFailure(undefined)).toMatchObject({ code: "UNKNOWN", known: false, class: "permanent" });
    expect(classifyFailure(" unable_to_connect_to_remote_host_or_ip ").class).toBe("transient");
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
