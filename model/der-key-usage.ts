/**
 * The KeyUsage extension of a DER certificate (RFC 5280, 4.2.1.3), which Node's X509Certificate
 * does not expose. Extension ::= SEQUENCE { extnID OID 2.5.29.15, critical BOOLEAN DEFAULT FALSE,
 * extnValue OCTET STRING (containing the KeyUsage BIT STRING) }.
 */
export interface KeyUsage {
  readonly digitalSignature: boolean;
  readonly nonRepudiation: boolean;
  readonly keyEncipherment: boolean;
  readonly dataEncipherment: boolean;
  readonly keyAgreement: boolean;
  readonly keyCertSign: boolean;
  readonly cRLSign: boolean;
  /** The bits that are set, by name, for messages. */
  readonly names: readonly string[];
}

const KEY_USAGE_OID = Buffer.from([0x06, 0x03, 0x55, 0x1d, 0x0f]);
const BIT_NAMES = [
  "digitalSignature",
  "nonRepudiation",
  "keyEncipherment",
  "dataEncipherment",
  "keyAgreement",
  "keyCertSign",
  "cRLSign",
] as const;

/** The KeyUsage bits, or undefined when the certificate has no KeyUsage extension. */
export function keyUsageOf(der: Buffer): KeyUsage | undefined {
  const at = der.indexOf(KEY_USAGE_OID);
  if (at < 0) return undefined;
  let i = at + KEY_USAGE_OID.length;
  if (der[i] === 0x01) i += 2 + der[i + 1]!; // critical BOOLEAN
  if (der[i] !== 0x04) return undefined; // OCTET STRING
  i += 2;
  if (der[i] !== 0x03) return undefined; // BIT STRING
  const length = der[i + 1]!;
  const bytes = der.subarray(i + 3, i + 2 + length); // after the unused-bits byte
  const bit = (n: number) => ((bytes[n >> 3] ?? 0) & (0x80 >> (n & 7))) !== 0;
  const flags = Object.fromEntries(BIT_NAMES.map((name, n) => [name, bit(n)])) as Record<
    (typeof BIT_NAMES)[number],
    boolean
  >;
  return { ...flags, names: BIT_NAMES.filter((_, n) => bit(n)) };
}
