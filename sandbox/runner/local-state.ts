/**
 * A local `terraform apply` of a synthesized stack: every resource gets the attributes Terraform
 * would know after creating it (ids, ARNs, URLs), pointing at the sandbox's local services, and
 * every argument is evaluated with those attributes. Nothing here knows what the handlers do.
 */
import { createHash, generateKeyPairSync } from "node:crypto";
import { certificateForKey } from "../as2/certs";
import { evaluateDeep, evaluateString, UNKNOWN } from "./hcl";
import type { Value } from "./hcl";

export interface LocalEnvironment {
  readonly account: string;
  readonly region: string;
  /** Base URL of the local SQS API (queue URLs are `<sqs>/<account>/<name>`). */
  readonly sqsEndpoint: string;
}

export interface TfJson {
  resource?: Record<string, Record<string, Record<string, unknown>>>;
  data?: Record<string, Record<string, Record<string, unknown>>>;
  locals?: Record<string, unknown>;
  variable?: Record<string, { default?: unknown }>;
}

type Attrs = Record<string, Value>;

function hex(seed: string, n: number): string {
  return createHash("sha256").update(seed).digest("hex").slice(0, n);
}

function asString(v: Value | undefined): string | undefined {
  return typeof v === "string" ? v : undefined;
}

export class LocalState {
  private readonly attrs = new Map<string, Attrs>();
  private readonly args = new Map<string, Attrs>();
  private readonly inProgress = new Set<string>();
  /** Resources whose values the sandbox had to invent (secrets it cannot read). */
  readonly unknowns = new Set<string>();

  constructor(
    readonly tf: TfJson,
    readonly env: LocalEnvironment,
  ) {}

  /** Every resource of a type: logical name → evaluated arguments. */
  resourcesOf(type: string): Array<{ name: string; args: Attrs; attrs: Attrs }> {
    return Object.keys(this.tf.resource?.[type] ?? {}).map((name) => ({
      name,
      args: this.argsOf(type, name),
      attrs: this.attributes(type, name),
    }));
  }

  argsOf(type: string, name: string): Attrs {
    const key = `${type}.${name}`;
    const hit = this.args.get(key);
    if (hit) return hit;
    const raw = this.tf.resource?.[type]?.[name] ?? this.tf.data?.[type.replace(/^data\./, "")]?.[name];
    if (!raw) throw new Error(`the stack has no ${key}`);
    if (this.inProgress.has(key)) throw new Error(`reference cycle through ${key}`);
    this.inProgress.add(key);
    try {
      const v = evaluateDeep(raw, (p) => this.resolve(p)) as Attrs;
      this.args.set(key, v);
      return v;
    } finally {
      this.inProgress.delete(key);
    }
  }

  /** Evaluates an arbitrary value against this state. */
  evaluate(v: unknown): Value {
    return evaluateDeep(v, (p) => this.resolve(p));
  }

  resolve(path: readonly (string | number)[]): Value {
    const [root, ...rest] = path;
    if (root === "local") {
      const name = String(rest[0]);
      const raw = this.tf.locals?.[name];
      if (raw === undefined) throw new Error(`unknown local.${name}`);
      return this.dig(
        typeof raw === "string" ? evaluateString(raw, (p) => this.resolve(p)) : this.evaluate(raw),
        rest.slice(1),
      );
    }
    if (root === "var") {
      const v = this.tf.variable?.[String(rest[0])];
      if (v?.default !== undefined) return this.dig(v.default as Value, rest.slice(1));
      this.unknowns.add(`var.${String(rest[0])}`);
      return UNKNOWN;
    }
    if (root === "data") {
      const [type, name, ...more] = rest.map(String);
      return this.dig(this.dataAttributes(type!, name!), more);
    }
    const [name, ...more] = rest.map(String);
    return this.dig(this.attributes(String(root), name!), more);
  }

  private dig(v: Value, path: readonly (string | number)[]): Value {
    let cur = v;
    for (const p of path) {
      if (cur === UNKNOWN) return UNKNOWN;
      if (Array.isArray(cur)) cur = cur[Number(p)] ?? null;
      else if (cur && typeof cur === "object") cur = (cur as Record<string, Value>)[String(p)] ?? null;
      else return null;
    }
    return cur;
  }

  private dataAttributes(type: string, name: string): Attrs {
    const { account, region } = this.env;
    switch (type) {
      case "aws_caller_identity":
        return { account_id: account, arn: `arn:aws:iam::${account}:user/sandbox`, user_id: "sandbox", id: account };
      case "aws_partition":
        return { partition: "aws", dns_suffix: "amazonaws.com", id: "aws" };
      case "aws_region":
        return { name: region, region, id: region };
      default:
        // Secrets, existing buckets' details and the like: not knowable offline.
        this.unknowns.add(`data.${type}.${name}`);
        return new Proxy({}, { get: () => UNKNOWN });
    }
  }

  /** Attributes after a local "create". */
  attributes(type: string, name: string): Attrs {
    const key = `${type}.${name}`;
    const hit = this.attrs.get(key);
    if (hit) return hit;
    const a = this.argsOf(type, name);
    const out = { ...a, ...this.computed(type, name, a) };
    this.attrs.set(key, out);
    return out;
  }

  private computed(type: string, name: string, a: Attrs): Attrs {
    const { account, region, sqsEndpoint } = this.env;
    const n = asString(a["name"]) ?? name;
    const id17 = hex(`${type}.${name}`, 17);
    switch (type) {
      case "aws_s3_bucket": {
        const bucket = (
          asString(a["bucket"]) ?? `${asString(a["bucket_prefix"]) ?? "sandbox-"}${hex(name, 8)}`
        ).toLowerCase();
        return { bucket, id: bucket, arn: `arn:aws:s3:::${bucket}`, bucket_domain_name: `${bucket}.s3.amazonaws.com` };
      }
      case "aws_sqs_queue": {
        const url = `${sqsEndpoint}/${account}/${n}`;
        return { name: n, url, id: url, arn: `arn:aws:sqs:${region}:${account}:${n}` };
      }
      case "aws_lambda_function": {
        const fn = asString(a["function_name"]) ?? name;
        const arn = `arn:aws:lambda:${region}:${account}:function:${fn}`;
        return {
          function_name: fn,
          arn,
          id: fn,
          qualified_arn: `${arn}:$LATEST`,
          invoke_arn: `arn:aws:apigateway:${region}:lambda:path/2015-03-31/functions/${arn}/invocations`,
          version: "$LATEST",
        };
      }
      case "aws_dynamodb_table":
        return {
          name: n,
          id: n,
          arn: `arn:aws:dynamodb:${region}:${account}:table/${n}`,
          stream_arn: `arn:aws:dynamodb:${region}:${account}:table/${n}/stream/sandbox`,
        };
      case "aws_cloudwatch_event_bus":
        return { name: n, id: n, arn: `arn:aws:events:${region}:${account}:event-bus/${n}` };
      case "aws_cloudwatch_event_rule": {
        const bus = asString(a["event_bus_name"]);
        return {
          name: n,
          id: n,
          arn: `arn:aws:events:${region}:${account}:rule/${bus && bus !== "default" ? `${bus}/` : ""}${n}`,
        };
      }
      case "aws_sfn_state_machine": {
        const arn = `arn:aws:states:${region}:${account}:stateMachine:${n}`;
        return { name: n, id: arn, arn };
      }
      case "aws_sns_topic":
        return { name: n, id: `arn:aws:sns:${region}:${account}:${n}`, arn: `arn:aws:sns:${region}:${account}:${n}` };
      case "aws_iam_role":
        return { name: n, id: n, arn: `arn:aws:iam::${account}:role/${n}`, unique_id: id17 };
      case "aws_kms_key":
        return {
          key_id: `${hex(name, 8)}-0000-0000-0000-${hex(name, 12)}`,
          id: hex(name, 32),
          arn: `arn:aws:kms:${region}:${account}:key/${hex(name, 8)}`,
        };
      case "aws_transfer_server":
        return {
          id: `s-${id17}`,
          server_id: `s-${id17}`,
          arn: `arn:aws:transfer:${region}:${account}:server/s-${id17}`,
          endpoint: "127.0.0.1",
        };
      case "aws_transfer_profile":
        return {
          id: `p-${id17}`,
          profile_id: `p-${id17}`,
          arn: `arn:aws:transfer:${region}:${account}:profile/p-${id17}`,
        };
      case "aws_transfer_certificate":
        return {
          id: `cert-${id17}`,
          certificate_id: `cert-${id17}`,
          arn: `arn:aws:transfer:${region}:${account}:certificate/cert-${id17}`,
        };
      case "aws_transfer_connector":
        return {
          id: `c-${id17}`,
          connector_id: `c-${id17}`,
          arn: `arn:aws:transfer:${region}:${account}:connector/c-${id17}`,
        };
      case "aws_transfer_agreement":
        return {
          id: `a-${id17}`,
          agreement_id: `a-${id17}`,
          arn: `arn:aws:transfer:${region}:${account}:agreement/a-${id17}`,
        };
      case "aws_cloudcontrolapi_resource": {
        const typeName = asString(a["type_name"]) ?? "";
        const desired = asString(a["desired_state"]);
        const props: Record<string, unknown> = desired ? (JSON.parse(desired) as Record<string, unknown>) : {};
        const kind = typeName.split("::").at(-1) ?? "Resource";
        const prefix: Record<string, string> = {
          Agreement: "a",
          Connector: "c",
          Profile: "p",
          Server: "s",
          Certificate: "cert",
        };
        const rid = `${prefix[kind] ?? "r"}-${id17}`;
        const full = {
          ...props,
          [`${kind}Id`]: rid,
          Arn: `arn:aws:transfer:${region}:${account}:${kind.toLowerCase()}/${rid}`,
        };
        return { id: rid, identifier: rid, properties: JSON.stringify(full) };
      }
      case "tls_private_key": {
        const bits = typeof a["rsa_bits"] === "number" ? a["rsa_bits"] : 2048;
        const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: bits });
        const pem = privateKey.export({ type: "pkcs1", format: "pem" }).toString();
        return {
          id: hex(name, 40),
          private_key_pem: pem,
          private_key_pem_pkcs8: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
          public_key_pem: publicKey.export({ type: "spki", format: "pem" }).toString(),
        };
      }
      case "tls_self_signed_cert": {
        const key = asString(a["private_key_pem"]);
        if (!key) {
          this.unknowns.add(`${type}.${name}`);
          return { cert_pem: UNKNOWN };
        }
        const subject = Array.isArray(a["subject"])
          ? (a["subject"][0] as Record<string, Value> | undefined)
          : (a["subject"] as Record<string, Value> | undefined);
        const cn = asString(subject?.["common_name"]) ?? name;
        const days =
          typeof a["validity_period_hours"] === "number"
            ? Math.max(1, Math.round(a["validity_period_hours"] / 24))
            : 365;
        return {
          id: hex(name, 16),
          cert_pem: certificateForKey(key, { commonName: cn, validityDays: days }).certificatePem,
        };
      }
      case "aws_eip":
        return { id: `eipalloc-${id17}`, allocation_id: `eipalloc-${id17}`, public_ip: "127.0.0.1" };
      default:
        return {
          id: asString(a["id"]) ?? n,
          arn: asString(a["arn"]) ?? `arn:aws:${type.replace(/^aws_/, "").split("_")[0]}:${region}:${account}:${n}`,
          name: n,
        };
    }
  }
}
