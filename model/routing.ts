/**
 * The routing document: what the handlers know about a customer. The stack writes it as one S3
 * object (ROUTING_DOCUMENT_KEY) from the validated customer and the ids of the resources it
 * created; handlers read it and never the customer file. Bump `version` on any breaking change.
 */
import { z } from "zod";
import { INBOX_NAMINGS, MDN_RESPONSES } from "./customer";

export const ROUTING_DOCUMENT_VERSION = 1;

export const routingPartnerSchema = z.object({
  station: z.string(),
  partner: z.string(),
  test: z.boolean(),
  enabled: z.boolean(),
  connectorId: z.string(),
  agreementId: z.string(),
  /** Agreement base directory key prefix (no bucket, trailing '/'). */
  inboundPrefix: z.string(),
  /**
   * The MDN the connector asks the partner for: with NONE, "AS2 Payload Send Completed" is the
   * final success; otherwise the send succeeds only with "AS2 MDN Receive Completed".
   * Optional for documents written before it existed: absent means SYNC.
   */
  mdn: z.enum(MDN_RESPONSES).optional(),
});
export type RoutingPartner = z.infer<typeof routingPartnerSchema>;

export const routingDocumentSchema = z.object({
  version: z.literal(ROUTING_DOCUMENT_VERSION),
  customer: z.string(),
  bucket: z.string(),
  layout: z.enum(["mftgateway", "as2gateway"]),
  settle: z.object({ fileSeconds: z.number(), directorySeconds: z.number() }),
  retry: z.object({ initialSeconds: z.number(), maxSeconds: z.number(), maxAttempts: z.number() }),
  send: z.object({ emptyFile: z.enum(["send", "fail"]), maxFileBytes: z.number() }),
  stations: z.array(z.object({ station: z.string(), inboxNaming: z.enum(INBOX_NAMINGS) })),
  partners: z.array(routingPartnerSchema),
});
export type RoutingDocument = z.infer<typeof routingDocumentSchema>;

/** Transfer Family's per-file limit. */
export const MAX_FILE_BYTES = 1024 ** 3;

/** Indexed view for handlers: lookups by route and by agreement/connector id. */
export class Routing {
  private readonly byRoute = new Map<string, RoutingPartner>();
  private readonly byAgreement = new Map<string, RoutingPartner>();
  private readonly byConnector = new Map<string, RoutingPartner>();
  private readonly stations = new Map<string, RoutingDocument["stations"][number]>();

  constructor(readonly doc: RoutingDocument) {
    for (const p of doc.partners) {
      this.byRoute.set(routeId(p.station, p.partner), p);
      this.byAgreement.set(p.agreementId, p);
      this.byConnector.set(p.connectorId, p);
    }
    for (const s of doc.stations) this.stations.set(s.station, s);
  }

  static parse(json: unknown): Routing {
    return new Routing(routingDocumentSchema.parse(json));
  }

  partner(station: string, partner: string): RoutingPartner | undefined {
    return this.byRoute.get(routeId(station, partner));
  }
  station(station: string): RoutingDocument["stations"][number] | undefined {
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

export interface PartnerResourceIds {
  readonly station: string;
  readonly partner: string;
  readonly connectorId: string;
  readonly agreementId: string;
}

/**
 * Builds the document from the validated customer and the ids of the resources the stack created
 * (at synth time those ids are Terraform references; Terraform fills them in at apply).
 */
export function buildRoutingDocument(
  customer: import("./customer").Customer,
  bucket: string,
  ids: readonly PartnerResourceIds[],
  inboundPrefix: (route: { station: string; partner: string }) => string,
): RoutingDocument {
  const idOf = (station: string, partner: string) => {
    const found = ids.find((i) => i.station === station && i.partner === partner);
    if (!found) throw new Error(`no connector/agreement ids for ${station}/${partner}`);
    return found;
  };
  return {
    version: ROUTING_DOCUMENT_VERSION,
    customer: customer.name,
    bucket,
    layout: customer.layout,
    settle: customer.settle,
    retry: customer.retry,
    send: { emptyFile: customer.send.emptyFile, maxFileBytes: MAX_FILE_BYTES },
    stations: customer.stations.map((s) => ({ station: s.as2Id, inboxNaming: s.inboxNaming })),
    partners: customer.partners.map((p) => {
      const id = idOf(p.station, p.as2Id);
      return {
        station: p.station,
        partner: p.as2Id,
        test: p.test,
        enabled: p.enabled,
        connectorId: id.connectorId,
        agreementId: id.agreementId,
        inboundPrefix: inboundPrefix({ station: p.station, partner: p.as2Id }),
        mdn: p.outbound.mdn,
      };
    }),
  };
}
