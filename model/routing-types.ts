/**
 * The routing document as handlers see it: its types, the indexed `Routing` view and a plain
 * parser. The zod schema in `./routing` validates the same document at synth (and gives the JSON
 * schema); this module stays free of zod so handler bundles do not carry it.
 */

export const ROUTING_DOCUMENT_VERSION = 1;

/** Same values as `MDN_RESPONSES` / `INBOX_NAMINGS` in ./customer (checked at compile time in ./routing). */
export const ROUTING_MDN_RESPONSES = ["SYNC", "ASYNC", "NONE"] as const;
export const ROUTING_INBOX_NAMINGS = ["folder", "prefix", "plain"] as const;
export const ROUTING_LAYOUTS = ["mftgateway", "as2gateway"] as const;
export const ROUTING_EMPTY_FILE = ["send", "fail"] as const;

export interface RoutingPartner {
  readonly station: string;
  readonly partner: string;
  readonly test: boolean;
  readonly enabled: boolean;
  readonly connectorId: string;
  readonly agreementId: string;
  /** Agreement base directory key prefix (no bucket, trailing '/'). */
  readonly inboundPrefix: string;
  /**
   * The MDN the connector asks the partner for: with NONE, "AS2 Payload Send Completed" is the
   * final success; otherwise the send succeeds only with "AS2 MDN Receive Completed".
   * Optional for documents written before it existed: absent means SYNC.
   */
  readonly mdn?: (typeof ROUTING_MDN_RESPONSES)[number];
}

/**
 * A certificate Transfer holds for this customer and when it stops being valid: the reconciler
 * publishes the days to the nearest expiry as one metric, watched by one alarm.
 */
export interface RoutingCertificate {
  /** `station/<AS2 ID>` or `partner/<station>/<AS2 ID>`: who renews it. */
  readonly owner: string;
  readonly usage: "SIGNING" | "ENCRYPTION";
  /** ISO-8601 end of validity (notAfter). */
  readonly notAfter: string;
}

export interface RoutingStation {
  readonly station: string;
  readonly inboxNaming: (typeof ROUTING_INBOX_NAMINGS)[number];
}

export interface RoutingDocument {
  readonly version: typeof ROUTING_DOCUMENT_VERSION;
  readonly customer: string;
  readonly bucket: string;
  readonly layout: (typeof ROUTING_LAYOUTS)[number];
  readonly settle: { readonly fileSeconds: number; readonly directorySeconds: number };
  readonly retry: { readonly initialSeconds: number; readonly maxSeconds: number; readonly maxAttempts: number };
  readonly send: { readonly emptyFile: (typeof ROUTING_EMPTY_FILE)[number]; readonly maxFileBytes: number };
  readonly stations: readonly RoutingStation[];
  readonly partners: readonly RoutingPartner[];
  /** Optional for documents written before it existed. */
  readonly certificates?: readonly RoutingCertificate[];
}

/** Transfer Family's per-file limit. */
export const MAX_FILE_BYTES = 1024 ** 3;

/** A routing document that does not have the shape handlers rely on. */
export class InvalidRoutingDocument extends Error {
  override readonly name = "InvalidRoutingDocument";
}

type Obj = Record<string, unknown>;

function fail(path: string, expected: string, got: unknown): never {
  const received = got === null ? "null" : Array.isArray(got) ? "array" : typeof got;
  throw new InvalidRoutingDocument(
    `routing document: ${path || "(root)"}: Invalid input: expected ${expected}, received ${received}`,
  );
}
function obj(v: unknown, path: string): Obj {
  if (typeof v !== "object" || v === null || Array.isArray(v)) fail(path, "object", v);
  return v as Obj;
}
function str(o: Obj, k: string, path: string): string {
  const v = o[k];
  if (typeof v !== "string") fail(`${path}${k}`, "string", v);
  return v;
}
function num(o: Obj, k: string, path: string): number {
  const v = o[k];
  if (typeof v !== "number" || !Number.isFinite(v)) fail(`${path}${k}`, "number", v);
  return v;
}
function bool(o: Obj, k: string, path: string): boolean {
  const v = o[k];
  if (typeof v !== "boolean") fail(`${path}${k}`, "boolean", v);
  return v;
}
function oneOf<T extends string>(o: Obj, k: string, values: readonly T[], path: string): T {
  const v = o[k];
  if (typeof v !== "string" || !(values as readonly string[]).includes(v))
    fail(`${path}${k}`, `one of ${values.map((x) => JSON.stringify(x)).join("|")}`, v);
  return v as T;
}
function arr(o: Obj, k: string, path: string): unknown[] {
  const v = o[k];
  if (!Array.isArray(v)) fail(`${path}${k}`, "array", v);
  return v;
}

/**
 * Checks what handlers read, as strictly as the zod schema in ./routing (unknown keys dropped,
 * every listed field required except a partner's `mdn`), without zod.
 */
export function parseRoutingDocument(json: unknown): RoutingDocument {
  const d = obj(json, "");
  if (d.version !== ROUTING_DOCUMENT_VERSION) fail("version", String(ROUTING_DOCUMENT_VERSION), d.version);
  const settle = obj(d.settle, "settle");
  const retry = obj(d.retry, "retry");
  const send = obj(d.send, "send");
  return {
    version: ROUTING_DOCUMENT_VERSION,
    customer: str(d, "customer", ""),
    bucket: str(d, "bucket", ""),
    layout: oneOf(d, "layout", ROUTING_LAYOUTS, ""),
    settle: {
      fileSeconds: num(settle, "fileSeconds", "settle."),
      directorySeconds: num(settle, "directorySeconds", "settle."),
    },
    retry: {
      initialSeconds: num(retry, "initialSeconds", "retry."),
      maxSeconds: num(retry, "maxSeconds", "retry."),
      maxAttempts: num(retry, "maxAttempts", "retry."),
    },
    send: {
      emptyFile: oneOf(send, "emptyFile", ROUTING_EMPTY_FILE, "send."),
      maxFileBytes: num(send, "maxFileBytes", "send."),
    },
    stations: arr(d, "stations", "").map((s, i) => {
      const o = obj(s, `stations.${i}`);
      const p = `stations.${i}.`;
      return { station: str(o, "station", p), inboxNaming: oneOf(o, "inboxNaming", ROUTING_INBOX_NAMINGS, p) };
    }),
    partners: arr(d, "partners", "").map((x, i) => {
      const o = obj(x, `partners.${i}`);
      const p = `partners.${i}.`;
      const partner: RoutingPartner = {
        station: str(o, "station", p),
        partner: str(o, "partner", p),
        test: bool(o, "test", p),
        enabled: bool(o, "enabled", p),
        connectorId: str(o, "connectorId", p),
        agreementId: str(o, "agreementId", p),
        inboundPrefix: str(o, "inboundPrefix", p),
      };
      return o.mdn === undefined ? partner : { ...partner, mdn: oneOf(o, "mdn", ROUTING_MDN_RESPONSES, p) };
    }),
    ...(d.certificates === undefined
      ? {}
      : {
          certificates: arr(d, "certificates", "").map((x, i) => {
            const o = obj(x, `certificates.${i}`);
            const p = `certificates.${i}.`;
            return {
              owner: str(o, "owner", p),
              usage: oneOf(o, "usage", ["SIGNING", "ENCRYPTION"] as const, p),
              notAfter: str(o, "notAfter", p),
            };
          }),
        }),
  };
}

/** Indexed view for handlers: lookups by route and by agreement/connector id. */
export class Routing {
  private readonly byRoute = new Map<string, RoutingPartner>();
  private readonly byAgreement = new Map<string, RoutingPartner>();
  private readonly byConnector = new Map<string, RoutingPartner>();
  private readonly stations = new Map<string, RoutingStation>();

  constructor(readonly doc: RoutingDocument) {
    for (const p of doc.partners) {
      this.byRoute.set(routeId(p.station, p.partner), p);
      this.byAgreement.set(p.agreementId, p);
      this.byConnector.set(p.connectorId, p);
    }
    for (const s of doc.stations) this.stations.set(s.station, s);
  }

  /** Validates with the plain parser (no zod at run time). */
  static parse(json: unknown): Routing {
    return new Routing(parseRoutingDocument(json));
  }

  partner(station: string, partner: string): RoutingPartner | undefined {
    return this.byRoute.get(routeId(station, partner));
  }
  station(station: string): RoutingStation | undefined {
    return this.stations.get(station);
  }
  byAgreementId(id: string): RoutingPartner | undefined {
    return this.byAgreement.get(id);
  }
  byConnectorId(id: string): RoutingPartner | undefined {
    return this.byConnector.get(id);
  }
}

function routeId(station: string, partner: string): string {
  return `${station}\n${partner}`;
}
