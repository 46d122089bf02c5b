import { certificateDays, publishCertificateExpiry } from "../../handlers/send/certificate-expiry";
import { parseRoutingDocument } from "../../model/routing-types";
import { CERTIFICATE_DAYS_LEFT_METRIC } from "../../model/metrics";
import { logger } from "../../handlers/shared/logger";

const now = new Date("2027-01-01T00:00:00Z");
const cert = (owner: string, notAfter: string) => ({ owner, usage: "SIGNING" as const, notAfter });

describe("days to the nearest certificate expiry (reconciler)", () => {
  it("orders certificates by days left and skips an unreadable end of validity", () => {
    const days = certificateDays(
      [
        cert("partner/ST/A", "2027-03-02T00:00:00Z"),
        cert("station/ST", "2027-01-11T12:00:00Z"),
        cert("partner/ST/B", "${tls_self_signed_cert.x.validity_end_time}"),
        cert("partner/ST/C", "2026-12-30T00:00:00Z"),
      ],
      now,
    );
    expect(days.map((d) => [d.certificate.owner, d.days])).toEqual([
      ["partner/ST/C", -2],
      ["station/ST", 10],
      ["partner/ST/A", 60],
    ]);
  });

  it("writes one EMF metric with the minimum and warns about each certificate inside 30 days", () => {
    const out = jest.spyOn(process.stdout, "write").mockImplementation(() => true);
    const warn = jest.spyOn(logger, "warn").mockImplementation(() => undefined);
    try {
      const min = publishCertificateExpiry(
        "acme",
        [cert("partner/ST/A", "2027-03-02T00:00:00Z"), cert("station/ST", "2027-01-11T00:00:00Z")],
        now,
      );
      expect(min).toBe(10);
      const lines = out.mock.calls.map(([l]) => JSON.parse(String(l)) as Record<string, unknown>);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatchObject({ Customer: "acme", [CERTIFICATE_DAYS_LEFT_METRIC]: 10 });
      expect(JSON.stringify(lines[0]!._aws)).toContain('"Namespace":"as2-transfer-gateway/acme"');
      expect(warn.mock.calls.map(([m, extra]) => [m, (extra as { owner: string }).owner])).toEqual([
        ["certificate expires soon", "station/ST"],
      ]);
      out.mockClear();
      expect(publishCertificateExpiry("acme", undefined, now)).toBeUndefined();
      expect(out).not.toHaveBeenCalled();
    } finally {
      out.mockRestore();
      warn.mockRestore();
    }
  });

  it("reads the certificate list of a routing document, and documents without one", () => {
    const base = {
      version: 1,
      customer: "acme",
      bucket: "b",
      layout: "mftgateway",
      settle: { fileSeconds: 1, directorySeconds: 1 },
      retry: { initialSeconds: 1, maxSeconds: 1, maxAttempts: 1 },
      send: { emptyFile: "send", maxFileBytes: 1 },
      stations: [],
      partners: [],
    };
    expect(parseRoutingDocument(base).certificates).toBeUndefined();
    const listed = [cert("station/ST", "2027-01-11T00:00:00Z")];
    expect(parseRoutingDocument({ ...base, certificates: listed }).certificates).toEqual(listed);
    expect(() => parseRoutingDocument({ ...base, certificates: [{ owner: "x", usage: "TLS", notAfter: "" }] })).toThrow(
      /certificates\.0\.usage/,
    );
  });
});
