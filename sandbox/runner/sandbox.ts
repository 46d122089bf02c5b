/**
 * Runs a synthesized customer stack on this machine: its buckets, table, queues, buses, rules,
 * targets, functions (the deployment zips with their synthesized environments), event source
 * mappings and routing document, with Transfer Family emulated and a stand-in for every partner.
 */
import { readFileSync, mkdirSync, existsSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { randomUUID } from "node:crypto";
import { S3Client, CreateBucketCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { DynamoDBClient, CreateTableCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import type { AttributeDefinition, KeySchemaElement, PutItemCommandInput } from "@aws-sdk/client-dynamodb";
import { LocalState } from "./local-state";
import type { TfJson } from "./local-state";
import { UNKNOWN } from "./hcl";
import type { Value } from "./hcl";
import { LocalSqs } from "./sqs";
import type { Queue } from "./sqs";
import { LocalEventBridge } from "./eventbridge";
import type { BusEvent, Rule, RuleTarget } from "./eventbridge";
import { FunctionError, LocalFunction } from "./lambdas";
import { LocalStepFunctions, localHttpTask, taskError } from "./stepfunctions";
import type { StateMachineSpec } from "./stepfunctions";
import { startStorageServers, LOCAL_CREDENTIALS } from "./storage-servers";
import type { StorageServers, S3rverRecord } from "./storage-servers";
import { readTransfer } from "./transfer-wiring";
import type { TransferWiring } from "./transfer-wiring";
import { TransferEmulator } from "../transfer-emulator";
import type { Connector, TransferEventEnvelope } from "../transfer-emulator";
import { PartnerStandIn } from "../partner/partner";
import { SandboxSftpServer } from "../sftp/server";
import { sftpUsersOf } from "../sftp/users";
import { ApiFront, SANDBOX_API_KEYS, sandboxApiClients } from "../api/http-front";

export interface SandboxOptions {
  /** `cdktf.out/stacks/<stack>`: holds cdk.tf.json and the assets. */
  readonly stackDir: string;
  /** Where the sandbox keeps S3 data, extracted functions and function logs. */
  readonly workDir: string;
  /** Divides every delay (SQS delays and visibility timeouts, schedules). @default 1 */
  readonly timeScale?: number;
  /** One line per step; @default console.log */
  readonly log?: (line: string) => void;
  /** Also log queue and function activity. */
  readonly verbose?: boolean;
  /** Port of the SFTP server (when the stack declares SFTP users). @default any free port */
  readonly sftpPort?: number;
  /** Partners played by external AS2 software (AS2 ID → URL): no stand-in, declared certificates. */
  readonly externalPartners?: Readonly<Record<string, string>>;
  /** Station private keys (PEM text) for the stations' declared certificates (AS2 ID → keys). */
  readonly stationKeys?: Readonly<Record<string, readonly string[]>>;
  /**
   * Where the workflows' HTTP Tasks go instead of the declared https:// endpoint (declared URL →
   * local URL). @default none: an endpoint not listed is answered by a stub that returns the
   * request's `document` unchanged (offline, no partner system to call).
   */
  readonly httpEndpoints?: Readonly<Record<string, string>>;
}

export interface SandboxCounters {
  uploads: number;
  transfers: number;
  sentOk: number;
  sentFailed: number;
  receivedOk: number;
  receivedFailed: number;
  outbox: string[];
  inbox: string[];
  failed: string[];
  domainEvents: Record<string, number>;
}

const ACCOUNT = "123456789012";

function str(v: Value | undefined): string | undefined {
  return typeof v === "string" ? v : undefined;
}

export class Sandbox {
  readonly counters: SandboxCounters = {
    uploads: 0,
    transfers: 0,
    sentOk: 0,
    sentFailed: 0,
    receivedOk: 0,
    receivedFailed: 0,
    outbox: [],
    inbox: [],
    failed: [],
    domainEvents: {},
  };
  readonly partners = new Map<string, PartnerStandIn>();
  /** Host name of each stand-in (`<as2id>.sandbox.invalid`) → the partner's AS2 ID. */
  private readonly standInHosts = new Map<string, string>();
  readonly functions = new Map<string, LocalFunction>();
  readonly notes: string[] = [];
  s3!: S3Client;
  s3Endpoint = "";
  buckets: string[] = [];
  region = "eu-west-1";
  state!: LocalState;
  transfer!: TransferEmulator;
  /** Region, local credentials and AWS_ENDPOINT_URL_* of the running sandbox (e.g. for `npm run gateway`). */
  clientEnv: Record<string, string> = {};
  wiring!: TransferWiring;
  as2Url = "";
  private storage?: StorageServers;
  private sqs!: LocalSqs;
  private events!: LocalEventBridge;
  stepFunctions!: LocalStepFunctions;
  /** [metric name, first dimension value] of every count the workflows wrote (CloudWatch is not local). */
  readonly metricCounts: [string, string][] = [];
  private pollers: NodeJS.Timeout[] = [];
  private inFlight = new Set<Promise<unknown>>();
  private readonly started = Date.now();
  private stopped = false;
  private readonly log: (line: string) => void;
  private readonly timeScale: number;

  constructor(private readonly o: SandboxOptions) {
    this.log = o.log ?? ((l) => console.log(l));
    this.timeScale = o.timeScale ?? 1;
  }

  private say(line: string): void {
    const t = ((Date.now() - this.started) / 1000).toFixed(1).padStart(6);
    this.log(`[${t}s] ${line}`);
  }

  async start(): Promise<void> {
    const tf = JSON.parse(readFileSync(join(this.o.stackDir, "cdk.tf.json"), "utf8")) as TfJson & {
      provider?: { aws?: Array<{ region?: string }> };
    };
    this.region = tf.provider?.aws?.[0]?.region ?? this.region;
    mkdirSync(join(this.o.workDir, "logs"), { recursive: true });

    this.storage = await startStorageServers(this.o.workDir);
    this.sqs = new LocalSqs(
      this.timeScale,
      this.o.verbose
        ? (e) =>
            e.kind === "sent" &&
            this.say(
              `   queue ${e.queue}: message ${e.message.messageId.slice(0, 8)} (visible in ${(e.delayMs! / 1000).toFixed(1)}s)`,
            )
        : undefined,
    );
    const sqsEndpoint = await this.sqs.start();
    this.events = new LocalEventBridge(
      { account: ACCOUNT, region: this.region },
      (t, payload, event, rule) => this.deliver(t, payload, event, rule),
      this.timeScale,
    );

    this.state = new LocalState(tf, { account: ACCOUNT, region: this.region, sqsEndpoint });
    this.s3Endpoint = this.storage.s3Endpoint;
    this.s3 = new S3Client({
      region: this.region,
      endpoint: this.storage.s3Endpoint,
      forcePathStyle: true,
      credentials: LOCAL_CREDENTIALS,
    });

    await this.createBuckets();
    await this.createTables();
    this.createQueues();
    this.readRules();
    const eventsEndpoint = await this.events.start();
    const sfnEndpoint = await this.startStepFunctions();
    await this.startTransfer();
    const apiEndpoint = this.transferApi;
    this.clientEnv = {
      AWS_REGION: this.region,
      AWS_DEFAULT_REGION: this.region,
      AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
      AWS_ENDPOINT_URL_S3: this.storage.s3Endpoint,
      AWS_ENDPOINT_URL_DYNAMODB: this.storage.dynamoEndpoint,
      AWS_ENDPOINT_URL_SQS: sqsEndpoint,
      AWS_ENDPOINT_URL_EVENTBRIDGE: eventsEndpoint,
      AWS_ENDPOINT_URL_TRANSFER: apiEndpoint,
      AWS_ENDPOINT_URL_SFN: sfnEndpoint,
    };
    this.createFunctions({
      ...this.clientEnv,
      S3_FORCE_PATH_STYLE: "true",
      PATH: process.env["PATH"] ?? "",
      // Lambda's runtime is Node 22; the SDK's warning about Node 20 is noise in the function logs.
      NODE_NO_WARNINGS: "1",
    });
    // Cold starts happen here, not on the first message.
    await Promise.all([...this.functions.values()].map((f) => f.start()));
    await this.putObjects();
    this.bridgeS3Events();
    this.startEventSourceMappings();
    await this.startSftp();
    await this.startApi();
    for (const n of [...this.wiring.notes, ...this.notes]) this.say(`note: ${n}`);
    for (const l of this.banner()) this.say(l);
  }

  private transferApi = "";

  // ------------------------------------------------------------------ REST API (issue 15)

  api?: ApiFront;

  /** The API Lambda (the one with API_CLIENTS) behind a local HTTP front, when the stack declares the API. */
  private async startApi(): Promise<void> {
    const fn = [...this.functions.values()].find((f) => f.spec.environment["API_CLIENTS"] !== undefined);
    if (!fn) return;
    this.api = new ApiFront({ invoke: (event) => fn.invoke(event) });
    this.say(`api         listening on ${await this.api.start()}/v1`);
  }

  /** How to call the REST API, for the banner (empty without the API). */
  apiBanner(): string[] {
    if (!this.api) return [];
    return [
      `REST API ${this.api.url}/v1 (templates/openapi.json); test keys: ${SANDBOX_API_KEYS.map((k) => `${k.key} (${k.scopes.join(", ")})`).join(", ")}`,
      `  curl -H 'x-api-key: ${SANDBOX_API_KEYS[0]!.key}' ${this.api.url}/v1/outbox`,
    ];
  }

  // ------------------------------------------------------------------ SFTP

  sftp?: SandboxSftpServer;

  private async startSftp(): Promise<void> {
    const users = sftpUsersOf(this.state);
    if (!users.length) return;
    this.sftp = new SandboxSftpServer({ users, s3: this.s3, port: this.o.sftpPort, log: (l) => this.say(l) });
    await this.sftp.start();
    const hostKeyFile = join(this.o.workDir, "sftp_known_hosts");
    writeFileSync(hostKeyFile, `[127.0.0.1]:${this.sftp.port} ${this.sftp.hostKey.public.trim()}\n`);
    this.say(`sftp        listening on 127.0.0.1:${this.sftp.port} for ${users.map((u) => u.name).join(", ")}`);
  }

  /** How to connect over SFTP, for the banner (empty without SFTP users). */
  sftpBanner(): string[] {
    if (!this.sftp) return [];
    const known = join(this.o.workDir, "sftp_known_hosts");
    return [
      "Or over SFTP with a declared user's private key (the same folders as S3):",
      `  sftp -P ${this.sftp.port} -o UserKnownHostsFile=${known} -i <private key> <user>@127.0.0.1`,
    ];
  }

  /** Folder with every station's public certificates (`<station>.signing.pem`, `<station>.encryption.pem`). */
  get certificatesDir(): string {
    return join(this.o.workDir, "certificates");
  }

  /** Writes the stations' certificates for external AS2 software to import; returns the files by station. */
  private exportStationCertificates(): Map<string, string[]> {
    mkdirSync(this.certificatesDir, { recursive: true });
    const files = new Map<string, string[]>();
    for (const l of this.wiring.locals.values()) {
      const safe = l.as2Id.replace(/[^A-Za-z0-9._-]/g, "_");
      const signing = join(this.certificatesDir, `${safe}.signing.pem`);
      const encryption = join(this.certificatesDir, `${safe}.encryption.pem`);
      writeFileSync(signing, l.signing.certificatePem);
      writeFileSync(encryption, l.encryption.certificatePem);
      files.set(l.as2Id, [signing, encryption]);
    }
    return files;
  }

  /**
   * What a user needs to work with the running gateway: the S3 endpoint and an AWS CLI line that
   * works as printed (placeholders `<station>`, `<partner>`, `invoice.edi`), and per external
   * partner the URL to configure on its side, the AS2 IDs and the station's certificate files.
   */
  banner(): string[] {
    const bucket = this.buckets[0] ?? "<bucket>";
    const lines = [
      `S3 endpoint ${this.s3Endpoint} (path-style, any access key and secret)`,
      `  aws --endpoint-url ${this.s3Endpoint} s3 cp invoice.edi s3://${bucket}/AS2/send/<station>/<partner>/`,
      `station certificates for partners' software: ${this.certificatesDir}`,
    ];
    for (const p of this.wiring.partners.values()) {
      if (!p.externalUrl) continue;
      for (const station of p.stations) {
        const files = this.stationCertificateFiles.get(station) ?? [];
        lines.push(
          `external partner ${p.as2Id}: the gateway sends to ${p.externalUrl}; configure ${p.as2Id}'s software to send to ${this.as2Url} with AS2-From ${p.as2Id} and AS2-To ${station}, and to trust ${files.join(" (signing), ")} (encryption)`,
        );
      }
    }
    return [...lines, ...this.sftpBanner(), ...this.apiBanner()];
  }

  private stationCertificateFiles = new Map<string, string[]>();

  // ------------------------------------------------------------------ S3

  private async createBuckets(): Promise<void> {
    for (const b of this.state.resourcesOf("aws_s3_bucket")) this.buckets.push(String(b.attrs["bucket"]));
    for (const name of Object.keys(this.state.tf.data?.["aws_s3_bucket"] ?? {})) {
      const b = this.state.argsOf("data.aws_s3_bucket", name);
      if (str(b["bucket"])) this.buckets.push(str(b["bucket"])!);
    }
    for (const b of this.buckets) await this.s3.send(new CreateBucketCommand({ Bucket: b }));
  }

  private async putObjects(): Promise<void> {
    for (const o of this.state.resourcesOf("aws_s3_object")) {
      const content = o.args["content"];
      if (content === UNKNOWN || typeof content !== "string") {
        this.notes.push(`s3 object ${String(o.args["key"])}: its content is not known offline; not written`);
        continue;
      }
      await this.s3.send(
        new PutObjectCommand({
          Bucket: String(o.args["bucket"]),
          Key: String(o.args["key"]),
          Body: content,
          ContentType: str(o.args["content_type"]),
        }),
      );
    }
  }

  /** S3 → EventBridge for buckets whose notification configuration enables EventBridge. */
  private bridgeS3Events(): void {
    const enabled = new Set(
      this.state
        .resourcesOf("aws_s3_bucket_notification")
        .filter((n) => n.args["eventbridge"] === true)
        .map((n) => String(n.args["bucket"])),
    );
    this.storage!.onS3Event((r) => {
      this.narrateS3(r);
      if (!enabled.has(r.s3.bucket.name)) return;
      const created = r.eventName.startsWith("ObjectCreated");
      const event: BusEvent = {
        version: "0",
        id: randomUUID(),
        "detail-type": created ? "Object Created" : "Object Deleted",
        source: "aws.s3",
        account: ACCOUNT,
        time: new Date().toISOString().replace(/\.\d{3}Z$/, "Z"),
        region: this.region,
        resources: [`arn:aws:s3:::${r.s3.bucket.name}`],
        detail: {
          version: "0",
          bucket: { name: r.s3.bucket.name },
          object: {
            key: r.s3.object.key,
            ...(r.s3.object.size !== undefined ? { size: r.s3.object.size } : {}),
            ...(r.s3.object.eTag ? { etag: r.s3.object.eTag } : {}),
            sequencer: r.s3.object.sequencer,
          },
          "request-id": randomUUID(),
          requester: ACCOUNT,
          "source-ip-address": "127.0.0.1",
          reason: created ? (r.eventName.endsWith("Copy") ? "CopyObject" : "PutObject") : "DeleteObject",
        },
      };
      this.track(this.events.put("default", event));
    });
  }

  private narrateS3(r: S3rverRecord): void {
    if (!r.eventName.startsWith("ObjectCreated")) return;
    const key = r.s3.object.key;
    if (key.startsWith("AS2/send/")) {
      this.counters.uploads += 1;
      this.say(`uploaded    ${key} (${r.s3.object.size ?? 0} bytes)`);
      return;
    }
    if (key.startsWith("_gateway/outbound/") && !/\/(processed|failed)\//.test(key)) {
      this.say(`claimed     staged as ${key}`);
      return;
    }
    const m = /^(AS2\/files|as2gateway)\/.*\/(inbox|outbox|failed)\//.exec(key);
    if (!m || key.endsWith(".json")) return;
    const folder = m[2]! as "inbox" | "outbox" | "failed";
    if (key.endsWith(".mdn")) {
      this.say(`${folder.padEnd(11)} MDN beside it: ${key}`);
      return;
    }
    this.counters[folder].push(key);
    this.say(`${folder.padEnd(11)} ${key}`);
  }

  // ------------------------------------------------------------------ DynamoDB

  private async createTables(): Promise<void> {
    const ddb = new DynamoDBClient({
      region: this.region,
      endpoint: this.storage!.dynamoEndpoint,
      credentials: LOCAL_CREDENTIALS,
    });
    for (const t of this.state.resourcesOf("aws_dynamodb_table")) {
      const a = t.args;
      const attrs = (Array.isArray(a["attribute"]) ? a["attribute"] : []) as Array<Record<string, Value>>;
      const key = (h: Value | undefined, r: Value | undefined): KeySchemaElement[] => [
        { AttributeName: String(h), KeyType: "HASH" },
        ...(str(r) ? [{ AttributeName: String(r), KeyType: "RANGE" as const }] : []),
      ];
      const gsis = (Array.isArray(a["global_secondary_index"]) ? a["global_secondary_index"] : []) as Array<
        Record<string, Value>
      >;
      await ddb.send(
        new CreateTableCommand({
          TableName: String(a["name"]),
          BillingMode: "PAY_PER_REQUEST",
          AttributeDefinitions: attrs.map(
            (x) => ({ AttributeName: String(x["name"]), AttributeType: String(x["type"]) }) as AttributeDefinition,
          ),
          KeySchema: key(a["hash_key"], a["range_key"]),
          ...(gsis.length
            ? {
                GlobalSecondaryIndexes: gsis.map((g) => ({
                  IndexName: String(g["name"]),
                  KeySchema: key(g["hash_key"], g["range_key"]),
                  Projection: { ProjectionType: (str(g["projection_type"]) ?? "ALL") as "ALL" },
                })),
              }
            : {}),
        }),
      );
    }
    ddb.destroy();
  }

  // ------------------------------------------------------------------ SQS, EventBridge

  private createQueues(): void {
    for (const q of this.state.resourcesOf("aws_sqs_queue")) {
      const redrive = str(q.args["redrive_policy"]);
      const r = redrive
        ? (JSON.parse(redrive) as { deadLetterTargetArn: string; maxReceiveCount: number | string })
        : undefined;
      this.sqs.createQueue({
        name: String(q.attrs["name"]),
        arn: String(q.attrs["arn"]),
        url: String(q.attrs["url"]),
        delaySeconds: Number(q.args["delay_seconds"] ?? 0),
        visibilityTimeoutSeconds: Number(q.args["visibility_timeout_seconds"] ?? 30),
        ...(r
          ? { redrive: { deadLetterTargetArn: r.deadLetterTargetArn, maxReceiveCount: Number(r.maxReceiveCount) } }
          : {}),
      });
    }
  }

  private readRules(): void {
    const rules = new Map<string, Rule>();
    for (const r of this.state.resourcesOf("aws_cloudwatch_event_rule")) {
      const pattern = str(r.args["event_pattern"]);
      const rule: Rule = {
        name: String(r.attrs["name"]),
        bus: (str(r.args["event_bus_name"]) ?? "default").split("/").pop()!,
        ...(pattern ? { pattern: JSON.parse(pattern) as unknown } : {}),
        ...(str(r.args["schedule_expression"]) ? { schedule: str(r.args["schedule_expression"])! } : {}),
        enabled: r.args["state"] !== "DISABLED" && r.args["is_enabled"] !== false,
        targets: [],
      };
      rules.set(`${rule.bus}/${rule.name}`, rule);
      this.events.rules.push(rule);
    }
    for (const t of this.state.resourcesOf("aws_cloudwatch_event_target")) {
      const bus = (str(t.args["event_bus_name"]) ?? "default").split("/").pop()!;
      const rule = rules.get(`${bus}/${String(t.args["rule"])}`);
      if (!rule) continue;
      const it = (
        Array.isArray(t.args["input_transformer"]) ? t.args["input_transformer"][0] : t.args["input_transformer"]
      ) as Record<string, Value> | undefined;
      rule.targets.push({
        arn: String(t.args["arn"]),
        ...(str(t.args["input"]) !== undefined ? { input: str(t.args["input"])! } : {}),
        ...(str(t.args["input_path"]) ? { inputPath: str(t.args["input_path"])! } : {}),
        ...(it
          ? {
              inputTransformer: {
                inputPaths: (it["input_paths"] ?? {}) as Record<string, string>,
                inputTemplate: String(it["input_template"]),
              },
            }
          : {}),
      });
    }
  }

  private async deliver(target: RuleTarget, payload: string, event: BusEvent, rule: Rule): Promise<void> {
    if (event.source === "as2-transfer-gateway") {
      // Domain events: count once per event.
    }
    const arn = target.arn;
    if (arn.startsWith("arn:aws:sqs:")) {
      const q = this.sqs.byArn(arn);
      if (q) this.sqs.send(q, payload);
      return;
    }
    if (arn.startsWith("arn:aws:lambda:")) {
      const fn = [...this.functions.values()].find((f) => f.spec.arn === arn || arn.startsWith(`${f.spec.arn}:`));
      if (!fn) return;
      this.track(
        fn
          .invoke(JSON.parse(payload))
          .catch((e: unknown) =>
            this.say(`error       ${fn.spec.name} failed on ${event["detail-type"]}: ${(e as Error).message}`),
          ),
      );
      return;
    }
    if (this.o.verbose)
      this.say(
        `   rule ${rule.name}: target ${arn.split(":").slice(2, 3).join("")} is not run by the sandbox (webhook, archive or notification)`,
      );
  }

  // ------------------------------------------------------------------ Step Functions

  private async startStepFunctions(): Promise<string> {
    const specs: StateMachineSpec[] = [];
    for (const m of this.state.resourcesOf("aws_sfn_state_machine")) {
      const definition = m.args["definition"];
      if (typeof definition !== "string") {
        this.notes.push(`state machine ${String(m.attrs["name"])}: its definition is not known offline; not run`);
        continue;
      }
      specs.push({
        name: String(m.attrs["name"]),
        arn: String(m.attrs["arn"]),
        definition: JSON.parse(definition) as Record<string, unknown>,
      });
    }
    const ddb = new DynamoDBClient({
      region: this.region,
      endpoint: this.storage!.dynamoEndpoint,
      credentials: LOCAL_CREDENTIALS,
    });
    this.stepFunctions = new LocalStepFunctions(
      specs,
      {
        invokeLambda: (name, payload) => this.invokeForWorkflow(name, payload),
        putItem: async (input) => {
          await ddb.send(new PutItemCommand(input as unknown as PutItemCommandInput));
        },
        putEvents: (entries) => this.events.putEntries(entries),
        httpInvoke: localHttpTask(this.o.httpEndpoints ?? {}),
        putMetricData: (input) => {
          const data = (input["MetricData"] ?? []) as { MetricName?: string; Dimensions?: { Value?: string }[] }[];
          for (const d of data) this.metricCounts.push([String(d.MetricName), String(d.Dimensions?.[0]?.Value ?? "")]);
        },
      },
      {
        account: ACCOUNT,
        region: this.region,
        timeScale: this.timeScale,
        track: (p) => this.track(p),
        onEnd: (e) =>
          this.say(
            `workflow    ${e.name} ${e.status}${e.error ? ` ${e.error}: ${(e.cause ?? "").slice(0, 200)}` : ""}`,
          ),
      },
    );
    this.stopStepFunctionsClient = () => ddb.destroy();
    return this.stepFunctions.start();
  }

  private stopStepFunctionsClient?: () => void;

  /** lambda:invoke from a workflow: a function error becomes the Task's error named by its type. */
  private async invokeForWorkflow(name: string, payload: unknown): Promise<unknown> {
    const fn = [...this.functions.values()].find(
      (f) => f.spec.arn === name || f.spec.name === name || name.startsWith(`${f.spec.arn}:`),
    );
    if (!fn) throw taskError("Lambda.ResourceNotFoundException", `Function not found: ${name}`);
    try {
      return await fn.invoke(payload);
    } catch (e) {
      if (!(e instanceof FunctionError)) throw e;
      // Step Functions names a function's error by its errorType, the cause is the error object.
      throw taskError(e.errorName, JSON.stringify({ errorType: e.errorName, errorMessage: e.message }));
    }
  }

  // ------------------------------------------------------------------ Transfer Family and partners

  private async startTransfer(): Promise<void> {
    this.wiring = readTransfer(this.state, {
      ...(this.o.externalPartners ? { externalPartners: this.o.externalPartners } : {}),
      ...(this.o.stationKeys ? { stationKeys: this.o.stationKeys } : {}),
    });
    this.stationCertificateFiles = this.exportStationCertificates();
    for (const p of this.wiring.partners.values()) {
      const station = this.wiring.locals.get(p.stations[0]!);
      if (!station || !p.keys) continue; // an external partner runs its own software
      const standIn = new PartnerStandIn({
        as2Id: p.as2Id,
        signing: p.keys,
        encryption: p.keys,
        station: {
          as2Id: station.as2Id,
          signingCertificates: [station.signing.certificatePem],
          encryptionCertificate: station.encryption.certificatePem,
        },
      });
      await standIn.start();
      this.partners.set(p.as2Id, standIn);
      this.standInHosts.set(standInHost(p.as2Id, this.standInHosts.size), p.as2Id);
      this.say(
        `partner     ${p.as2Id} stands in at ${this.standInUrl(p.as2Id)}${p.declaredUrl ? ` (declared: ${p.declaredUrl})` : ""}`,
      );
    }
    const connectors: Connector[] = this.wiring.connectors.map(({ declaredUrl: _declared, ...c }) => ({
      ...c,
      url: this.wiring.partners.get(c.partner.as2Id)?.externalUrl ?? this.standInUrl(c.partner.as2Id),
    }));
    this.transfer = new TransferEmulator({
      s3: this.s3,
      emit: (e) => this.onTransferEvent(e),
      connectors,
      agreements: this.wiring.agreements,
      ...(this.wiring.serverId ? { serverId: this.wiring.serverId } : {}),
      ctx: { account: ACCOUNT, region: this.region },
      httpTimeoutMs: 10_000,
      lookup: (hostname) => this.resolveStandIn(hostname),
      onStartFileTransfer: (connectorId, paths, transferId) => {
        this.counters.transfers += 1;
        const c = connectors.find((x) => x.connectorId === connectorId);
        this.say(
          `sent        StartFileTransfer ${c ? `${c.local.as2Id} → ${c.partner.as2Id}` : connectorId}: ${paths.length} file(s), transfer ${transferId.slice(0, 8)}`,
        );
      },
      onOutbound: (r) => {
        const name = r.file.key.split("/").pop();
        if (r.outcome === "processed") {
          this.counters.sentOk += 1;
          this.say(`MDN         ${name}: ${r.disposition ?? "delivered (no MDN requested)"}`);
        } else {
          this.counters.sentFailed += 1;
          this.say(`MDN         ${name}: FAILED ${r.failureCode ?? ""} ${r.failureMessage ?? ""}`.trimEnd());
        }
      },
      onInbound: (r) => {
        if (r.outcome === "processed") this.counters.receivedOk += 1;
        else this.counters.receivedFailed += 1;
        this.say(
          `received    ${r.as2From} → ${r.as2To}: message ${r.messageId} ${r.outcome === "processed" ? "accepted" : `FAILED ${r.failureCode}: ${r.failureMessage}`}`,
        );
      },
    });
    const ep = await this.transfer.start();
    this.as2Url = ep.as2Url;
    this.transferApi = ep.apiEndpoint;
    this.say(
      `transfer    AS2 server ${this.transfer.serverId} listens at ${ep.as2Url}; ${connectors.length} connector(s), ${this.wiring.agreements.length} agreement(s)`,
    );
  }

  /** A stand-in's URL under its own host name, so that its DNS can fail (partner mode `unresolvable`). */
  private standInUrl(as2Id: string): string {
    const host = [...this.standInHosts].find(([, id]) => id === as2Id)?.[0];
    return this.partners.get(as2Id)!.urlAt(host ?? "127.0.0.1");
  }

  /** The connectors' resolver: stand-in names to loopback (none while `unresolvable`), others to DNS. */
  private resolveStandIn(hostname: string): string | null | undefined {
    const as2Id = this.standInHosts.get(hostname.toLowerCase());
    if (as2Id === undefined) return undefined;
    return this.partners.get(as2Id)?.mode === "unresolvable" ? null : "127.0.0.1";
  }

  private async onTransferEvent(e: TransferEventEnvelope): Promise<void> {
    if (this.o.verbose) this.say(`   event ${e["detail-type"]} (${String(e.detail["status-code"] ?? "")})`);
    await this.events.put("default", e);
  }

  // ------------------------------------------------------------------ Lambda

  private createFunctions(baseEnv: Record<string, string>): void {
    for (const f of this.state.resourcesOf("aws_lambda_function")) {
      const env: Record<string, string> = {};
      const vars = (
        (Array.isArray(f.args["environment"]) ? f.args["environment"][0] : f.args["environment"]) as
          Record<string, Value> | undefined
      )?.["variables"] as Record<string, Value> | undefined;
      for (const [k, v] of Object.entries(vars ?? {})) {
        if (v === UNKNOWN) {
          this.notes.push(`function ${String(f.attrs["function_name"])}: ${k} is not known offline; left unset`);
          continue;
        }
        env[k] = typeof v === "string" ? v : JSON.stringify(v);
      }
      // The REST API's clients in the sandbox are its declared test keys (sandbox/api/http-front.ts).
      if (env["API_CLIENTS"] !== undefined) env["API_CLIENTS"] = sandboxApiClients();
      const zip = resolve(this.o.stackDir, String(f.args["filename"]));
      if (!existsSync(zip))
        throw new Error(
          `function ${String(f.attrs["function_name"])}: its deployment package ${zip} is missing (synthesize first)`,
        );
      const fn = new LocalFunction(
        {
          name: String(f.attrs["function_name"]),
          arn: String(f.attrs["arn"]),
          zipPath: zip,
          handler: str(f.args["handler"]) ?? "index.handler",
          environment: env,
          timeoutSeconds: Number(f.args["timeout"] ?? 3),
        },
        this.o.workDir,
        baseEnv,
      );
      this.functions.set(fn.spec.name, fn);
    }
  }

  private startEventSourceMappings(): void {
    for (const m of this.state.resourcesOf("aws_lambda_event_source_mapping")) {
      const q = this.sqs.byArn(String(m.args["event_source_arn"]));
      const target = String(m.args["function_name"]);
      const fn = [...this.functions.values()].find((f) => f.spec.arn === target || f.spec.name === target);
      if (!q || !fn) continue;
      const batchSize = Number(m.args["batch_size"] ?? 10);
      const partial =
        Array.isArray(m.args["function_response_types"]) &&
        m.args["function_response_types"].includes("ReportBatchItemFailures");
      let busy = 0;
      const poll = () => {
        if (this.stopped || busy >= 2) return;
        const messages = this.sqs.receive(q, batchSize);
        if (messages.length === 0) return;
        busy += 1;
        const event = {
          Records: messages.map((msg) => ({
            messageId: msg.messageId,
            receiptHandle: msg.receiptHandle,
            body: msg.body,
            attributes: {
              ApproximateReceiveCount: String(msg.receiveCount),
              SentTimestamp: String(msg.sentAt),
              SenderId: ACCOUNT,
              ApproximateFirstReceiveTimestamp: String(msg.firstReceiveAt ?? msg.sentAt),
            },
            messageAttributes: {},
            md5OfBody: msg.md5OfBody,
            eventSource: "aws:sqs",
            eventSourceARN: q.arn,
            awsRegion: this.region,
          })),
        };
        if (this.o.verbose) this.say(`   ${fn.spec.name} ← ${messages.length} message(s) from ${q.name}`);
        this.narrateInvocation(
          fn,
          messages.map((msg) => msg.body),
        );
        const run = fn
          .invoke(event)
          .then((result) => {
            const failed = new Set(
              partial
                ? (
                    (result as { batchItemFailures?: Array<{ itemIdentifier: string }> } | null)?.batchItemFailures ??
                    []
                  ).map((f) => f.itemIdentifier)
                : [],
            );
            for (const msg of messages) if (!failed.has(msg.messageId)) this.sqs.delete(q, msg.receiptHandle!);
          })
          .catch((e: unknown) =>
            this.say(
              `error       ${fn.spec.name}: ${(e as Error).message} (messages return to ${q.name} after the visibility timeout)`,
            ),
          )
          .finally(() => {
            busy -= 1;
          });
        this.track(run);
      };
      this.pollers.push(setInterval(poll, 50));
    }
  }

  /** One line per file a function is handed (e.g. the settle check of an upload). */
  private narrateInvocation(fn: LocalFunction, bodies: string[]): void {
    const step = fn.spec.name.replace(/^as2-.+?-(?=(?:send|receive|events?|transactions)(?:-|$))/, "");
    const seen = new Set<string>();
    for (const body of bodies) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(body);
      } catch {
        continue;
      }
      const p = parsed as {
        detail?: {
          object?: { key?: string };
          "requester-file-name"?: string;
          "s3-attributes"?: { "file-key"?: string };
        };
        key?: string;
      };
      const what =
        p.detail?.object?.key ??
        p.detail?.["requester-file-name"] ??
        p.detail?.["s3-attributes"]?.["file-key"] ??
        p.key;
      if (what && !seen.has(what)) {
        seen.add(what);
        this.say(`${step.padEnd(11)} ${what}`);
      }
    }
  }

  private track<T>(p: Promise<T>): void {
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p)).catch(() => undefined);
  }

  /** Queues (not dead-letter queues) with messages still to process. */
  busyQueues(): Queue[] {
    return this.sqs.list().filter((q) => q.messages.length > 0 && !/dlq|dead/i.test(q.name));
  }

  queueDepth(name: string): number {
    return this.sqs.list().find((q) => q.name === name)?.messages.length ?? 0;
  }

  deadLetters(): Array<{ queue: string; count: number }> {
    return this.sqs
      .list()
      .filter((q) => /dlq|dead/i.test(q.name) && q.messages.length > 0)
      .map((q) => ({ queue: q.name, count: q.messages.length }));
  }

  /** Runs every scheduled rule once now (e.g. the send sweep). */
  async runSchedules(): Promise<void> {
    for (const r of this.events.rules) if (r.schedule) await this.events.fireSchedule(r);
  }

  domainEvents(): BusEvent[] {
    return this.events.seen
      .filter(
        (s) => s.event.source !== "aws.s3" && s.event.source !== "aws.transfer" && s.event.source !== "aws.events",
      )
      .map((s) => s.event);
  }

  transferEvents(): BusEvent[] {
    return this.events.seen.filter((s) => s.event.source === "aws.transfer").map((s) => s.event);
  }

  /** Sends a file from a partner stand-in to the emulated AS2 server. */
  async sendInbound(partner: string, fileName: string, payload: Buffer, options: { forgeSignature?: boolean } = {}) {
    const standIn = this.partners.get(partner);
    if (!standIn && this.wiring.partners.get(partner)?.externalUrl)
      throw new Error(`partner '${partner}' is external: send from its own AS2 software to ${this.as2Url}`);
    if (!standIn)
      throw new Error(`no partner '${partner}' in this stack; partners: ${[...this.partners.keys()].join(", ")}`);
    this.say(
      `partner     ${partner} sends ${fileName} (${payload.length} bytes)${options.forgeSignature ? " signed with a key the gateway does not know" : ""}`,
    );
    const r = await standIn.sendInbound({
      url: this.as2Url,
      fileName,
      payload,
      ...(options.forgeSignature ? { forgeSignature: true } : {}),
    });
    this.say(
      `partner     ${partner} got MDN: ${r.mdn ? `${r.mdn.disposition}${r.micMatches ? " (MIC matches)" : ""}` : `none (${r.mdnError ?? `HTTP ${r.httpStatus}`})`}`,
    );
    return r;
  }

  summary(): string {
    const c = this.counters;
    const domain: Record<string, number> = {};
    for (const e of this.domainEvents()) domain[e["detail-type"]] = (domain[e["detail-type"]] ?? 0) + 1;
    const fnLine = [...this.functions.values()]
      .map((f) => `${f.spec.name} ${f.invocations}${f.errors ? ` (${f.errors} errors)` : ""}`)
      .join(", ");
    const dlq = this.deadLetters();
    const runs = this.stepFunctions?.executions() ?? [];
    const byStatus = (st: string) => runs.filter((e) => e.status === st).length;
    return [
      "── summary ─────────────────────────────────────────────",
      `uploads ${c.uploads} · transfers started ${c.transfers} · delivered ${c.sentOk} · send failures ${c.sentFailed}`,
      `received from partners: accepted ${c.receivedOk} · refused ${c.receivedFailed}`,
      `outbox ${c.outbox.length} · inbox ${c.inbox.length} · failed ${c.failed.length}`,
      `domain events: ${
        Object.entries(domain)
          .map(([k, v]) => `${k} ${v}`)
          .join(", ") || "none"
      }`,
      `function invocations: ${fnLine || "none"}`,
      ...(runs.length
        ? [
            `workflow executions: succeeded ${byStatus("SUCCEEDED")} · failed ${byStatus("FAILED")} · running ${byStatus("RUNNING")}`,
          ]
        : []),
      `dead-letter queues: ${dlq.length ? dlq.map((d) => `${d.queue} ${d.count}`).join(", ") : "empty"}`,
      `function logs: ${join(this.o.workDir, "logs")}`,
    ].join("\n");
  }

  /** Waits until the queues are empty and nothing is in flight (or the time runs out). */
  async settle(timeoutMs: number): Promise<boolean> {
    const end = Date.now() + timeoutMs;
    let quiet = 0;
    while (Date.now() < end) {
      await this.transfer.idle();
      const busy = this.busyQueues().length > 0 || this.inFlight.size > 0;
      quiet = busy ? 0 : quiet + 1;
      if (quiet >= 5) return true;
      await new Promise((r) => setTimeout(r, 100));
    }
    return false;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const p of this.pollers) clearInterval(p);
    await Promise.allSettled([...this.inFlight]);
    await this.sftp?.stop();
    await this.api?.stop();
    await this.transfer?.stop();
    for (const p of this.partners.values()) await p.stop();
    await this.stepFunctions?.stop();
    this.stopStepFunctionsClient?.();
    await this.events?.stop();
    await this.sqs?.stop();
    for (const f of this.functions.values()) await f.stop();
    this.s3?.destroy();
    await this.storage?.stop();
  }
}

/**
 * A host name for a partner stand-in: under `.invalid` (RFC 2606: never resolves in real DNS), so
 * only the sandbox's own resolver knows it. The index keeps two AS2 IDs that sanitize alike apart.
 */
function standInHost(as2Id: string, index: number): string {
  const label = as2Id
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 40);
  return `${label || "partner"}-${index}.sandbox.invalid`;
}
