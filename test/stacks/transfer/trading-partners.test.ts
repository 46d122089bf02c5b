import { CERTIFICATE_DAYS_LEFT_METRIC } from "../../../model/metrics";
import { EXPIRY_ALARM_DAYS } from "../../../stacks/transfer/certificates-expiry";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { customerInput, EXAMPLE_DIR, SAMPLE_CERT_PEM } from "../../helpers/customer-factory";
import { inboundWorkPrefix, workSlug } from "../../../model/layout";
import { stationSlug } from "../../../stacks/transfer/trading-partners";
import type { CustomerInput } from "../../../model/customer";
import { all, byPath, ref, spelledRoleArn, synthCustomer, withoutMetadata, type Tf } from "../helpers";

const cert = { signing: { pem: SAMPLE_CERT_PEM } };
const serverRef = (tf: Tf) => ref("aws_transfer_server", Object.keys(tf.resource.aws_transfer_server!)[0]!, "id");
const roleRef = (tf: Tf, suffix: string) =>
  suffix === "-transfer-agreements"
    ? ref("aws_iam_role", Object.entries(tf.resource.aws_iam_role!).find(([, r]) => r.name.endsWith(suffix))![0], "arn")
    : // Connector and logging roles trust the connectors and the server: those name them by spelled ARN (no cycle).
      spelledRoleArn(tf, suffix);
const slug = (station: string, partner: string) => `partner-${workSlug({ station, partner })}`;
const profileRef = (tf: Tf, pathSuffix: string) =>
  ref("aws_transfer_profile", byPath(tf, "aws_transfer_profile", pathSuffix)[0], "profile_id");

describe("trading partners of the example customer", () => {
  const example = JSON.parse(readFileSync(join(EXAMPLE_DIR, "example.json"), "utf8")) as CustomerInput;
  const { tf, stack } = synthCustomer(example);

  it("has a LOCAL profile per station and a PARTNER profile per partner, with signing and encryption certificates", () => {
    const profiles = all(tf, "aws_transfer_profile");
    expect(
      profiles
        .filter((p) => p.profile_type === "LOCAL")
        .map((p) => p.as2_id)
        .sort(),
    ).toEqual(["ACME-AS2", "ACME-EU"]);
    expect(
      profiles
        .filter((p) => p.profile_type === "PARTNER")
        .map((p) => p.as2_id)
        .sort(),
    ).toEqual(["GLOBEX", "INITECH", "UMBRELLA-TEST"]);
    const certs = tf.resource.aws_transfer_certificate!;
    for (const p of profiles) {
      expect(p.certificate_ids).toHaveLength(2);
      const usages = p.certificate_ids.map(
        (r: string) => certs[/^\$\{aws_transfer_certificate\.([^.]+)\./.exec(r)![1]!].usage,
      );
      expect(usages).toEqual(["SIGNING", "ENCRYPTION"]);
    }
  });

  it("imports each partner's own certificates (INITECH has a separate encryption certificate)", () => {
    const initech = (usage: string) =>
      byPath(tf, "aws_transfer_certificate", `${slug("ACME-EU", "INITECH")}/profile/certificates/${usage}`)[1]
        .certificate;
    expect(initech("signing")).toBe(readFileSync(join(EXAMPLE_DIR, "certs", "initech-signing.pem"), "utf8"));
    expect(initech("encryption")).toBe(readFileSync(join(EXAMPLE_DIR, "certs", "initech-encryption.pem"), "utf8"));
  });

  it("wires each agreement to the server, the station's and partner's profiles, the agreement role and a private base directory", () => {
    const agreements = all(tf, "aws_cloudcontrolapi_resource").filter(
      (r) => r.type_name === "AWS::Transfer::Agreement",
    );
    expect(agreements).toHaveLength(3);
    const globex = JSON.parse(
      byPath(tf, "aws_cloudcontrolapi_resource", `${slug("ACME-AS2", "GLOBEX")}/agreement`)[1].desired_state,
    );
    const bucket = Object.keys(tf.resource.aws_s3_bucket!)[0]!;
    const prefix = inboundWorkPrefix({ station: "ACME-AS2", partner: "GLOBEX" }).replace(/\/$/, "");
    expect(globex).toEqual({
      ServerId: serverRef(tf),
      LocalProfileId: profileRef(tf, `station-${stationSlug("ACME-AS2")}/profile`),
      PartnerProfileId: profileRef(tf, `${slug("ACME-AS2", "GLOBEX")}/profile/profile`),
      AccessRole: roleRef(tf, "-transfer-agreements"),
      CustomDirectories: {
        PayloadFilesDirectory: `/\${aws_s3_bucket.${bucket}.bucket}/${prefix}/processed`,
        StatusFilesDirectory: `/\${aws_s3_bucket.${bucket}.bucket}/${prefix}/processed`,
        MdnFilesDirectory: `/\${aws_s3_bucket.${bucket}.bucket}/${prefix}/processed`,
        FailedFilesDirectory: `/\${aws_s3_bucket.${bucket}.bucket}/${prefix}/failed`,
        TemporaryFilesDirectory: `/\${aws_s3_bucket.${bucket}.bucket}/${prefix}/temporary`,
      },
      Status: "ACTIVE",
      Description: "GLOBEX->ACME-AS2",
      PreserveFilename: "DISABLED",
      EnforceMessageSigning: "ENABLED",
    });
  });

  it("gives each partner a connector with its URL and declared algorithms, and a log group with retention", () => {
    const [, initech] = byPath(tf, "aws_transfer_connector", `${slug("ACME-EU", "INITECH")}/connector`);
    expect(initech).toMatchObject({
      url: "http://b2b.initech.example:4080/as2",
      access_role: roleRef(tf, "-transfer-connectors"),
      logging_role: roleRef(tf, "-transfer-logging"),
      as2_config: {
        signing_algorithm: "SHA512",
        encryption_algorithm: "AES128_CBC",
        compression: "DISABLED",
        mdn_response: "SYNC",
        mdn_signing_algorithm: "DEFAULT",
        local_profile_id: profileRef(tf, `station-${stationSlug("ACME-EU")}/profile`),
        partner_profile_id: profileRef(tf, `${slug("ACME-EU", "INITECH")}/profile/profile`),
      },
    });
    expect(
      byPath(tf, "aws_transfer_connector", `${slug("ACME-AS2", "GLOBEX")}/connector`)[1].as2_config.message_subject,
    ).toBe("ACME invoice");
    const [connectorId] = byPath(tf, "aws_transfer_connector", `${slug("ACME-EU", "INITECH")}/connector`);
    expect(
      all(tf, "aws_cloudwatch_log_group").find(
        (g) => g.name === `/aws/transfer/${ref("aws_transfer_connector", connectorId, "connector_id")}`,
      ),
    ).toMatchObject({ retention_in_days: 90 });
  });

  it("fills the gateway context with the server and each partner's connector and agreement", () => {
    const t = stack.context.transfer;
    expect(t.partners.map((p) => `${p.station}/${p.partner}:${p.test}`)).toEqual([
      "ACME-AS2/GLOBEX:false",
      "ACME-EU/INITECH:false",
      "ACME-AS2/UMBRELLA-TEST:true",
    ]);
    for (const p of t.partners)
      for (const v of [p.connectorId, p.connectorArn, p.agreementId, p.agreementArn]) expect(v).toMatch(/\$\{/);
    expect(t.serverId).toMatch(/\$\{/);
    expect(stack.context.routing.etag).toMatch(/\$\{/);
  });

  it("lists every distinct certificate with its end of validity in the routing document, for one alarm", () => {
    const doc = JSON.parse(tf.locals![Object.keys(tf.locals!)[0]!]);
    // stations: one key pair each (signing = encryption); partners: GLOBEX 1, INITECH 2, UMBRELLA 1
    expect(doc.certificates).toHaveLength(2 + 4);
    expect(doc.certificates.map((c: { owner: string }) => c.owner)).toEqual(
      expect.arrayContaining(["station/ACME-AS2", "partner/ACME-EU/INITECH"]),
    );
    for (const c of doc.certificates) expect(c.notAfter).toMatch(/^\d{4}-\d\d-\d\dT|validity_end_time\}$/);
    const alarms = all(tf, "aws_cloudwatch_metric_alarm").filter((a) =>
      /certificate|DaysUntilExpiry/i.test(a.metric_name),
    );
    expect(alarms).toHaveLength(1);
    const topic = Object.keys(tf.resource.aws_sns_topic!)[0]!;
    expect(alarms[0]).toMatchObject({
      metric_name: CERTIFICATE_DAYS_LEFT_METRIC,
      dimensions: { Customer: stack.context.customer.name },
      statistic: "Minimum",
      threshold: EXPIRY_ALARM_DAYS,
      comparison_operator: "LessThanThreshold",
      alarm_actions: [ref("aws_sns_topic", topic, "arn")],
    });
  });
});

describe("outbound.contentType (a partner option added by the ARCHITECTURE.md recipe)", () => {
  const withContentType = (contentType?: "fromExtension" | "fromUpload") =>
    synthCustomer(
      customerInput({
        partners: [
          {
            as2Id: "P1",
            station: "ACME",
            url: "https://p1.example/as2",
            certificates: cert,
            outbound: contentType ? { contentType } : {},
          },
        ],
      }),
    ).tf;

  it("by default keeps the native connector, whose API default maps the type from the file extension", () => {
    const tf = withContentType();
    expect(all(tf, "aws_transfer_connector")).toHaveLength(1);
    expect(all(tf, "aws_cloudcontrolapi_resource").filter((r) => r.type_name === "AWS::Transfer::Connector")).toEqual(
      [],
    );
    expect(withContentType("fromExtension")).toEqual(tf);
  });

  it("fromUpload sends the S3 object's own Content-Type (PreserveContentType through Cloud Control)", () => {
    const tf = withContentType("fromUpload");
    expect(all(tf, "aws_transfer_connector")).toEqual([]);
    const [connector] = all(tf, "aws_cloudcontrolapi_resource").filter(
      (r) => r.type_name === "AWS::Transfer::Connector",
    );
    expect(JSON.parse(connector.desired_state).As2Config.PreserveContentType).toBe("ENABLED");
  });
});

describe("which partners go through Cloud Control", () => {
  const partner = (as2Id: string, extra: object) => ({
    as2Id,
    station: "ACME",
    url: `https://${as2Id.toLowerCase()}.example/as2`,
    certificates: cert,
    ...extra,
  });
  const { tf } = synthCustomer(
    customerInput({
      partners: [
        partner("PLAIN", { inbound: { preserveFilename: false, enforceMessageSigning: false } }),
        partner("ASYNC", {
          outbound: { mdn: "ASYNC" },
          inbound: { preserveFilename: false, enforceMessageSigning: false },
        }),
        partner("BASIC", {
          outbound: { basicAuthSecretArn: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:basic-AbC" },
        }),
      ],
    }),
  );
  const cc = (type: string) => all(tf, "aws_cloudcontrolapi_resource").filter((r) => r.type_name === type);

  it("declares every agreement through Cloud Control (CustomDirectories), native connectors unless an option needs it", () => {
    expect(all(tf, "aws_transfer_agreement")).toHaveLength(0);
    expect(cc("AWS::Transfer::Agreement")).toHaveLength(3);
    for (const a of cc("AWS::Transfer::Agreement")) {
      const state = JSON.parse(a.desired_state);
      expect(state).toMatchObject({ ServerId: serverRef(tf), AccessRole: roleRef(tf, "-transfer-agreements") });
      // CustomDirectories and BaseDirectory are exclusive (AWS::Transfer::Agreement).
      expect(state.BaseDirectory).toBeUndefined();
      expect(Object.keys(state.CustomDirectories).sort()).toEqual([
        "FailedFilesDirectory",
        "MdnFilesDirectory",
        "PayloadFilesDirectory",
        "StatusFilesDirectory",
        "TemporaryFilesDirectory",
      ]);
      for (const dir of Object.values<string>(state.CustomDirectories))
        expect(dir).toMatch(/^\/\$\{aws_s3_bucket\.[^}]+\}\/_gateway\/inbound\//);
    }
    expect(all(tf, "aws_transfer_connector").map((c) => c.url)).toEqual(["https://plain.example/as2"]);
    expect(cc("AWS::Transfer::Connector")).toHaveLength(2);
  });

  it("configures async MDNs back to this server, and basic auth from the declared secret", () => {
    const state = (host: string) =>
      JSON.parse(cc("AWS::Transfer::Connector").find((c) => c.desired_state.includes(host))!.desired_state);
    const [asyncMdn, basic] = [state("async.example"), state("basic.example")];
    const serverId = Object.keys(tf.resource.aws_transfer_server!)[0]!;
    expect(asyncMdn).toMatchObject({
      Url: "https://async.example/as2",
      AccessRole: roleRef(tf, "-transfer-connectors"),
      LoggingRole: roleRef(tf, "-transfer-logging"),
      As2Config: {
        MdnResponse: "ASYNC",
        SigningAlgorithm: "SHA256",
        EncryptionAlgorithm: "AES256_CBC",
        Compression: "ZLIB",
        AsyncMdnConfig: {
          Url: `http://${ref("aws_transfer_server", serverId, "endpoint")}:5080`,
          ServerIds: [ref("aws_transfer_server", serverId, "id")],
        },
      },
    });
    expect(basic.As2Config.BasicAuthSecretId).toBe("arn:aws:secretsmanager:eu-west-1:123456789012:secret:basic-AbC");
    expect(basic.As2Config.AsyncMdnConfig).toBeUndefined();
    // The basic-auth partner's connector has its own role: the only one that can read its secret.
    const policyNamed = (name: string) =>
      Object.values(tf.resource.aws_iam_role_policy!)
        .filter((p) => p.name === name)
        .map((p) => p.policy as string);
    expect(policyNamed("outbound-working-root").join()).not.toContain("secretsmanager");
    const [own] = policyNamed("outbound-working-root-and-secret");
    expect(JSON.parse(own!).Statement).toContainEqual(
      expect.objectContaining({
        Action: ["secretsmanager:GetSecretValue"],
        Resource: ["arn:aws:secretsmanager:eu-west-1:123456789012:secret:basic-AbC"],
      }),
    );
    expect(basic.AccessRole).toMatch(/:role\/as2-[a-z0-9-]+-connector-[0-9a-f]{8}$/);
  });
});

describe("a changed algorithm", () => {
  const base = (signing: "SHA256" | "SHA384") =>
    customerInput({
      partners: [
        { as2Id: "P1", station: "ACME", url: "https://p1.example/as2", certificates: cert, outbound: { signing } },
        { as2Id: "P2", station: "ACME", url: "https://p2.example/as2", certificates: cert },
      ],
    });

  it("changes only that partner's connector", () => {
    const before = withoutMetadata(synthCustomer(base("SHA256")).tf);
    const after = withoutMetadata(synthCustomer(base("SHA384")).tf);
    const changed: string[] = [];
    for (const type of new Set([...Object.keys(before.resource), ...Object.keys(after.resource)])) {
      const ids = new Set([...Object.keys(before.resource[type] ?? {}), ...Object.keys(after.resource[type] ?? {})]);
      for (const id of ids) {
        if (JSON.stringify(before.resource[type]?.[id]) !== JSON.stringify(after.resource[type]?.[id]))
          changed.push(`${type}.${id}`);
      }
    }
    expect(changed).toEqual([
      expect.stringMatching(/^aws_transfer_connector\.trading-partners_partner-ACME--P1-[0-9a-f]+_connector_/),
    ]);
    for (const k of ["data", "output", "locals", "variable", "terraform"] as const) expect(after[k]).toEqual(before[k]);
  });
});
