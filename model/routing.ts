/**
 * The routing document: what the handlers know about a customer. The stack writes it as one S3
 * object (ROUTING_DOCUMENT_KEY) from the validated customer and the ids of the resources it
 * created; handlers read it and never the customer file. Bump `version` on any breaking change.
 */
import { z } from "zod";
import { INBOX_NAMINGS, MDN_RESPONSES } from "./customer";
import {
  ROUTING_DOCUMENT_VERSION,
  ROUTING_EMPTY_FILE,
  ROUTING_INBOX_NAMINGS,
  ROUTING_LAYOUTS,
  ROUTING_MDN_RESPONSES,
  MAX_FILE_BYTES,
  type RoutingDocument,
  type RoutingPartner,
} from "./routing-types";

// Handlers use ./routing-types (no zod); this module is the synth side and re-exports it.
export {
  ROUTING_DOCUMENT_VERSION,
  MAX_FILE_BYTES,
  Routing,
  InvalidRoutingDocument,
  parseRoutingDocument,
  type RoutingDocument,
  type RoutingPartner,
  type RoutingStation,
  type RoutingCertificate,
} from "./routing-types";

export const routingPartnerSchema = z.object({
  station: z.string(),
  partner: z.string(),
  test: z.boolean(),
  enabled: z.boolean(),
  connectorId: z.string(),
  agreementId: z.string(),
  /** Agreement base directory key prefix (no bucket, trailing '/'). */
  inboundPrefix: z.string(),
  /** The MDN the connector asks the partner for (absent means SYNC): see ./routing-types. */
  mdn: z.enum(MDN_RESPONSES).optional(),
});

export const routingDocumentSchema = z.object({
  version: z.literal(ROUTING_DOCUMENT_VERSION),
  customer: z.string(),
  bucket: z.string(),
  layout: z.enum(ROUTING_LAYOUTS),
  settle: z.object({ fileSeconds: z.number(), directorySeconds: z.number() }),
  retry: z.object({ initialSeconds: z.number(), maxSeconds: z.number(), maxAttempts: z.number() }),
  send: z.object({ emptyFile: z.enum(ROUTING_EMPTY_FILE), maxFileBytes: z.number() }),
  stations: z.array(z.object({ station: z.string(), inboxNaming: z.enum(INBOX_NAMINGS) })),
  partners: z.array(routingPartnerSchema),
  certificates: z
    .array(z.object({ owner: z.string(), usage: z.enum(["SIGNING", "ENCRYPTION"]), notAfter: z.string() }))
    .optional(),
});

/** The plain types in ./routing-types and the schema describe the same document (compile-time check). */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const sameDocument: Same<z.infer<typeof routingDocumentSchema>, Mutable<RoutingDocument>> = true;
const samePartner: Same<z.infer<typeof routingPartnerSchema>, Mutable<RoutingPartner>> = true;
const sameMdn: Same<(typeof MDN_RESPONSES)[number], (typeof ROUTING_MDN_RESPONSES)[number]> = true;
const sameNaming: Same<(typeof INBOX_NAMINGS)[number], (typeof ROUTING_INBOX_NAMINGS)[number]> = true;
void [sameDocument, samePartner, sameMdn, sameNaming];
type Mutable<T> = T extends readonly (infer U)[]
  ? Mutable<U>[]
  : T extends object
    ? { -readonly [K in keyof T]: Mutable<T[K]> }
    : T;

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
  certificates?: readonly import("./routing-types").RoutingCertificate[],
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
    ...(certificates ? { certificates: [...certificates] } : {}),
  };
}
