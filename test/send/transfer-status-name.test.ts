/**
 * The name of Transfer's status file for a sent file, which the send's end deletes when no event
 * named it: checked against the keys AWS's outbound samples carry (test/fixtures/aws-transfer/).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { keyFromTransferAttribute, transferOutboundStatusKey } from "../../model/layout";

interface Sample {
  "transfer-id": string;
  "as2-message-id": string;
  "s3-attributes": { "file-key": string; "json-key": string };
}

const detail = (f: string): Sample =>
  (JSON.parse(readFileSync(join(__dirname, "..", "fixtures", "aws-transfer", f), "utf8")) as { detail: Sample }).detail;

describe("transferOutboundStatusKey", () => {
  it.each([
    ["synthesized_as2-mdn-receive-completed.json", "processed"],
    ["synthesized_as2-payload-send-failed.json", "failed"],
    ["synthesized_as2-mdn-receive-failed-negative-mdn.json", "failed"],
  ] as const)("names the json-key of %s from its file key, transfer and message ids", (file, folder) => {
    const d = detail(file);
    const staged = keyFromTransferAttribute(d["s3-attributes"]["file-key"]);
    expect(transferOutboundStatusKey(staged, folder, d["transfer-id"], d["as2-message-id"])).toBe(
      keyFromTransferAttribute(d["s3-attributes"]["json-key"]),
    );
  });

  it("puts the ids after the whole name when it has no extension, before the last extension otherwise", () => {
    expect(transferOutboundStatusKey("w/c/README", "processed", "t-1", "m@x")).toBe(
      "w/c/processed/README.t-1.m@x.json",
    );
    expect(transferOutboundStatusKey("w/c/a.b.edi", "failed", "t-1", "m@x")).toBe("w/c/failed/a.b.t-1.m@x.edi.json");
    expect(transferOutboundStatusKey("w/c/.hidden", "processed", "t-1", "m@x")).toBe(
      "w/c/processed/.hidden.t-1.m@x.json",
    );
  });

  it("names nothing when a message id would not be one key segment", () => {
    expect(transferOutboundStatusKey("w/c/a.edi", "processed", "t-1", "a/b@x")).toBeUndefined();
  });
});
