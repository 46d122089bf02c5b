/**
 * Reads the Transfer Family resources of a synthesized stack (server, certificates, profiles,
 * agreements, connectors; hashicorp/aws or Cloud Control) into the emulator's configuration.
 *
 * Key material: a station whose private key the sandbox cannot read (Secrets Manager, Terraform
 * variable) gets a throwaway key pair. A partner's private key is never in the stack, so each
 * partner stand-in gets a throwaway key pair too, and the emulator trusts that certificate in place
 * of the declared one: the rehearsal exercises the same algorithms and checks with keys that exist.
 */
import { createPrivateKey, createPublicKey, X509Certificate } from "node:crypto";
import { generateKeyPair } from "../as2/certs";
import type { KeyPair } from "../as2/certs";
import type { EncryptionAlgorithm, SigningAlgorithm } from "../as2/algorithms";
import { UNKNOWN } from "./hcl";
import type { Value } from "./hcl";
import type { LocalState } from "./local-state";
import type { Agreement, Connector, LocalProfile, PartnerProfile } from "../transfer-emulator/types";

export interface PartnerSetup {
  readonly as2Id: string;
  /** The station's AS2 ID this partner trades with (from the agreement/connector). */
  readonly stations: string[];
  /** The stand-in's throwaway key pair; absent for an external partner (its own software holds its keys). */
  readonly keys?: KeyPair;
  /** URL the customer declared (replaced by the stand-in's, or by the external partner's). */
  readonly declaredUrl?: string;
  /** An external partner's AS2 URL (`--partner ID=url`): no stand-in, its declared certificates are used. */
  readonly externalUrl?: string;
}

export interface WiringOptions {
  /** Partners played by external AS2 software: AS2 ID → its URL. */
  readonly externalPartners?: Readonly<Record<string, string>>;
  /** Station private keys (PEM) to use with the station's declared certificates: AS2 ID → keys. */
  readonly stationKeys?: Readonly<Record<string, readonly string[]>>;
}

/** Whether a PEM private key belongs to a PEM certificate (same public key). */
export function keyMatchesCertificate(privateKeyPem: string, certificatePem: string): boolean {
  const fromKey = createPublicKey(createPrivateKey(privateKeyPem)).export({ type: "spki", format: "der" });
  const fromCert = new X509Certificate(certificatePem).publicKey.export({ type: "spki", format: "der" });
  return Buffer.compare(fromKey, fromCert) === 0;
}

export interface TransferWiring {
  readonly serverId?: string;
  readonly locals: Map<string, LocalProfile>;
  readonly partners: Map<string, PartnerSetup>;
  readonly connectors: Array<Omit<Connector, "url"> & { declaredUrl: string }>;
  readonly agreements: Agreement[];
  readonly notes: string[];
}

function s(v: Value | undefined): string | undefined {
  return typeof v === "string" ? v : undefined;
}

interface CertInfo {
  readonly certificate?: string;
  readonly privateKey?: string;
  readonly usage?: string;
  readonly unknownKey: boolean;
}

export function readTransfer(state: LocalState, options: WiringOptions = {}): TransferWiring {
  const notes: string[] = [];
  const external = options.externalPartners ?? {};
  const stationKeys = options.stationKeys ?? {};
  const certs = new Map<string, CertInfo>();
  for (const c of state.resourcesOf("aws_transfer_certificate")) {
    const privateKey = c.args["private_key"];
    certs.set(String(c.attrs["certificate_id"]), {
      ...(s(c.args["certificate"]) ? { certificate: s(c.args["certificate"])! } : {}),
      ...(s(privateKey) ? { privateKey: s(privateKey)! } : {}),
      ...(s(c.args["usage"]) ? { usage: s(c.args["usage"])! } : {}),
      unknownKey: privateKey === UNKNOWN || c.args["certificate"] === UNKNOWN,
    });
  }
  const profiles = new Map<string, { as2Id: string; type: string; certs: CertInfo[] }>();
  for (const p of state.resourcesOf("aws_transfer_profile")) {
    const ids = Array.isArray(p.args["certificate_ids"]) ? p.args["certificate_ids"].map(String) : [];
    profiles.set(String(p.attrs["profile_id"]), {
      as2Id: String(p.args["as2_id"]),
      type: String(p.args["profile_type"]),
      certs: ids.map((i) => certs.get(i)).filter((c): c is CertInfo => c !== undefined),
    });
  }

  const locals = new Map<string, LocalProfile>();
  const localOf = (profileId: string): LocalProfile => {
    const p = profiles.get(profileId);
    if (!p) throw new Error(`profile ${profileId} is not in the stack`);
    const hit = locals.get(p.as2Id);
    if (hit) return hit;
    const given = stationKeys[p.as2Id] ?? [];
    // A key given with --station-key pairs with the declared certificate it belongs to.
    const withGivenKey = (c: CertInfo): CertInfo => {
      const key = c.certificate ? given.find((k) => keyMatchesCertificate(k, c.certificate!)) : undefined;
      return key ? { ...c, privateKey: key, unknownKey: false } : c;
    };
    const certs = p.certs.map(withGivenKey);
    for (const key of given) {
      if (!certs.some((c) => c.privateKey === key)) {
        const declared = p.certs.filter((c) => c.certificate !== undefined).length;
        throw new Error(
          `--station-key ${p.as2Id}: the key does not match ${declared ? `any of the station's ${declared} declared certificate(s)` : "a declared certificate (the station's key pair is generated by the stack)"}; give the private key of the certificate in the customer file`,
        );
      }
    }
    const pick = (usage: string) =>
      certs.find((c) => c.usage === usage && c.privateKey && c.certificate && !c.unknownKey);
    const signing = pick("SIGNING");
    const encryption = pick("ENCRYPTION") ?? signing;
    let profile: LocalProfile;
    if (signing?.certificate && signing.privateKey && encryption?.certificate && encryption.privateKey) {
      profile = {
        as2Id: p.as2Id,
        signing: { certificatePem: signing.certificate, privateKeyPem: signing.privateKey },
        encryption: { certificatePem: encryption.certificate, privateKeyPem: encryption.privateKey },
      };
    } else {
      const kp = generateKeyPair({ commonName: `${p.as2Id} (sandbox)` });
      profile = { as2Id: p.as2Id, signing: kp, encryption: kp };
      notes.push(
        `station ${p.as2Id}: its private key is not readable offline (Secrets Manager or a Terraform variable); the sandbox uses a throwaway key pair`,
      );
    }
    locals.set(p.as2Id, profile);
    return profile;
  };

  const partners = new Map<string, PartnerSetup>();
  const partnerOf = (
    profileId: string,
    station: string,
    url?: string,
  ): { profile: PartnerProfile; setup: PartnerSetup } => {
    const p = profiles.get(profileId);
    if (!p) throw new Error(`profile ${profileId} is not in the stack`);
    const externalUrl = external[p.as2Id];
    let setup = partners.get(p.as2Id);
    if (!setup) {
      setup = {
        as2Id: p.as2Id,
        stations: [],
        ...(externalUrl ? { externalUrl } : { keys: generateKeyPair({ commonName: `${p.as2Id} (sandbox partner)` }) }),
        ...(url ? { declaredUrl: url } : {}),
      };
      partners.set(p.as2Id, setup);
    }
    if (!setup.stations.includes(station)) setup.stations.push(station);
    if (setup.keys) {
      const pem = setup.keys.certificatePem;
      return { profile: { as2Id: p.as2Id, signingCertificates: [pem], encryptionCertificate: pem }, setup };
    }
    // External software signs and decrypts with its own keys: trust and encrypt to the declared certificates.
    const declared = (usage: string) => p.certs.filter((c) => c.usage === usage && c.certificate !== undefined);
    const signingCerts = declared("SIGNING").map((c) => c.certificate!);
    const encryptionCert = declared("ENCRYPTION")[0]?.certificate ?? signingCerts[0];
    if (signingCerts.length === 0 || encryptionCert === undefined)
      throw new Error(
        `--partner ${p.as2Id}: the customer file declares no certificate for it that the sandbox can read (partners[].certificates.signing); an external partner is trusted with its declared certificates only`,
      );
    return {
      profile: { as2Id: p.as2Id, signingCertificates: signingCerts, encryptionCertificate: encryptionCert },
      setup,
    };
  };

  // Connectors: hashicorp/aws resources and Cloud Control AWS::Transfer::Connector.
  const connectors: TransferWiring["connectors"] = [];
  const addConnector = (id: string, url: string, cfg: Record<string, Value>) => {
    const local = localOf(String(cfg["local_profile_id"]));
    const { profile } = partnerOf(String(cfg["partner_profile_id"]), local.as2Id, url);
    connectors.push({
      connectorId: id,
      declaredUrl: url,
      local,
      partner: profile,
      signing: (s(cfg["signing_algorithm"]) ?? "NONE") as SigningAlgorithm | "NONE",
      encryption: (s(cfg["encryption_algorithm"]) ?? "AES256_CBC") as EncryptionAlgorithm | "NONE",
      compression: (s(cfg["compression"]) ?? "DISABLED") as "ZLIB" | "DISABLED",
      mdnResponse: (s(cfg["mdn_response"]) ?? "NONE") as "SYNC" | "NONE" | "ASYNC",
      mdnSigning: (s(cfg["mdn_signing_algorithm"]) ?? "NONE") as SigningAlgorithm | "NONE" | "DEFAULT",
      ...(s(cfg["message_subject"]) ? { messageSubject: s(cfg["message_subject"])! } : {}),
    });
  };
  for (const c of state.resourcesOf("aws_transfer_connector")) {
    const cfg = (Array.isArray(c.args["as2_config"]) ? c.args["as2_config"][0] : c.args["as2_config"]) as
      Record<string, Value> | undefined;
    if (!cfg) continue; // an SFTP connector
    addConnector(String(c.attrs["connector_id"]), String(c.args["url"]), cfg);
  }
  const agreements: Agreement[] = [];
  for (const r of state.resourcesOf("aws_cloudcontrolapi_resource")) {
    const type = String(r.args["type_name"]);
    const props = JSON.parse(String(r.attrs["properties"])) as Record<string, unknown>;
    if (type === "AWS::Transfer::Connector") {
      const a = (props["As2Config"] ?? {}) as Record<string, Value>;
      addConnector(String(props["ConnectorId"]), String(props["Url"]), {
        local_profile_id: a["LocalProfileId"] ?? null,
        partner_profile_id: a["PartnerProfileId"] ?? null,
        signing_algorithm: a["SigningAlgorithm"] ?? null,
        encryption_algorithm: a["EncryptionAlgorithm"] ?? null,
        compression: a["Compression"] ?? null,
        mdn_response: a["MdnResponse"] ?? null,
        mdn_signing_algorithm: a["MdnSigningAlgorithm"] ?? null,
        message_subject: a["MessageSubject"] ?? null,
      });
    } else if (type === "AWS::Transfer::Agreement") {
      const local = localOf(String(props["LocalProfileId"]));
      const custom = props["CustomDirectories"] as Record<string, unknown> | undefined;
      agreements.push({
        agreementId: String(props["AgreementId"]),
        local,
        partner: partnerOf(String(props["PartnerProfileId"]), local.as2Id).profile,
        ...(custom
          ? {
              customDirectories: {
                payload: String(custom["PayloadFilesDirectory"]),
                failed: String(custom["FailedFilesDirectory"]),
                status: String(custom["StatusFilesDirectory"]),
                mdn: String(custom["MdnFilesDirectory"]),
                temporary: String(custom["TemporaryFilesDirectory"]),
              },
            }
          : { baseDirectory: String(props["BaseDirectory"]) }),
        // AWS's defaults for both are DISABLED (AWS::Transfer::Agreement).
        preserveFilename: props["PreserveFilename"] === "ENABLED",
        enforceMessageSigning: props["EnforceMessageSigning"] === "ENABLED",
      });
    }
  }
  for (const a of state.resourcesOf("aws_transfer_agreement")) {
    const local = localOf(String(a.args["local_profile_id"]));
    agreements.push({
      agreementId: String(a.attrs["agreement_id"]),
      local,
      partner: partnerOf(String(a.args["partner_profile_id"]), local.as2Id).profile,
      baseDirectory: String(a.args["base_directory"]),
      // hashicorp/aws cannot set them: Transfer's defaults (DISABLED) apply.
      preserveFilename: false,
      enforceMessageSigning: false,
    });
  }
  for (const id of Object.keys(external))
    if (!partners.has(id))
      throw new Error(
        `--partner ${id}: no partner with that AS2 ID in this stack; partners: ${[...partners.keys()].join(", ")}`,
      );
  for (const id of Object.keys(stationKeys))
    if (!locals.has(id))
      throw new Error(
        `--station-key ${id}: no station with that AS2 ID in this stack; stations: ${[...locals.keys()].join(", ")}`,
      );
  const server = state.resourcesOf("aws_transfer_server")[0];
  return {
    ...(server ? { serverId: String(server.attrs["id"]) } : {}),
    locals,
    partners,
    connectors,
    agreements,
    notes,
  };
}
