import {
  archivePrefix,
  archiveErrorPrefix,
  archiveIamPrefix,
  archivePartitionPrefix,
  filesRoot,
  INBOUND_WORK_ROOT,
  OUTBOUND_WORK_ROOT,
  SEND_PREFIX,
} from "../../model/layout";

describe("archive layout", () => {
  it("partitions daily or hourly with Firehose timestamp expressions", () => {
    expect(archivePrefix("DAILY")).toBe(
      "_gateway/archive/events/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/",
    );
    expect(archivePrefix("HOURLY")).toBe(
      "_gateway/archive/events/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/",
    );
    expect(archiveErrorPrefix()).toBe(
      "_gateway/archive/errors/!{firehose:error-output-type}/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/",
    );
  });

  it("lives outside the user folders, the send prefix and the expiring working paths", () => {
    for (const p of [archivePrefix("DAILY"), archivePrefix("HOURLY"), archiveErrorPrefix()]) {
      expect(p.startsWith(archiveIamPrefix())).toBe(true);
      for (const other of [
        filesRoot("mftgateway"),
        filesRoot("as2gateway"),
        SEND_PREFIX,
        INBOUND_WORK_ROOT,
        OUTBOUND_WORK_ROOT,
      ]) {
        expect(p.startsWith(other)).toBe(false);
        expect(other.startsWith(archiveIamPrefix())).toBe(false);
      }
    }
  });

  it("evaluates to the partition a reader lists (UTC)", () => {
    const at = new Date("2026-03-04T05:06:07Z");
    expect(archivePartitionPrefix("DAILY", at)).toBe("_gateway/archive/events/year=2026/month=03/day=04/");
    expect(archivePartitionPrefix("HOURLY", at)).toBe("_gateway/archive/events/year=2026/month=03/day=04/hour=05/");
  });
});
