/** What the Transfer Family emulator knows: the resources a synthesized stack declares. */
import type { KeyPair } from "../as2/certs";
import type { EncryptionAlgorithm, SigningAlgorithm } from "../as2/algorithms";

/** A station (local profile) with its key pairs. */
export interface LocalProfile {
  readonly as2Id: string;
  readonly signing: KeyPair;
  readonly encryption: KeyPair;
}

/** A partner profile: public certificates only. */
export interface PartnerProfile {
  readonly as2Id: string;
  /** Certificates that may sign the partner's messages and MDNs. */
  readonly signingCertificates: readonly string[];
  readonly encryptionCertificate: string;
}

/** `aws_transfer_connector` with its `as2_config`. */
export interface Connector {
  readonly connectorId: string;
  readonly url: string;
  readonly local: LocalProfile;
  readonly partner: PartnerProfile;
  readonly signing: SigningAlgorithm | "NONE";
  readonly encryption: EncryptionAlgorithm | "NONE";
  readonly compression: "ZLIB" | "DISABLED";
  readonly mdnResponse: "SYNC" | "NONE" | "ASYNC";
  /** "DEFAULT" asks for a signed MDN with the message's signing algorithm (SHA256 when unsigned). */
  readonly mdnSigning: SigningAlgorithm | "NONE" | "DEFAULT";
  /** @default the file name */
  readonly messageSubject?: string;
}

/**
 * An agreement's `CustomDirectories` (AWS::Transfer::Agreement; each `/bucket/prefix`, no trailing
 * slash): where Transfer puts received payloads, failed payloads, status JSON, MDNs and its
 * temporary files.
 */
export interface CustomDirectories {
  readonly payload: string;
  readonly failed: string;
  readonly status: string;
  readonly mdn: string;
  readonly temporary: string;
}

/**
 * An agreement (`aws_transfer_agreement` or AWS::Transfer::Agreement): where messages from a partner
 * to a station land. Exactly one of `baseDirectory` and `customDirectories`, as AWS requires.
 */
export interface Agreement {
  readonly agreementId: string;
  readonly local: LocalProfile;
  readonly partner: PartnerProfile;
  /** `/bucket/prefix` without a trailing slash, as Transfer's base_directory. */
  readonly baseDirectory?: string;
  readonly customDirectories?: CustomDirectories;
  /** PreserveFilename ENABLED: store under the partner's file name, without the message id. @default false (AWS's default) */
  readonly preserveFilename?: boolean;
  /** @default true */
  readonly enforceMessageSigning?: boolean;
}

/** An event as EventBridge delivers it (source aws.transfer). */
export interface TransferEventEnvelope {
  readonly version: "0";
  readonly id: string;
  readonly "detail-type": string;
  readonly source: "aws.transfer";
  readonly account: string;
  readonly time: string;
  readonly region: string;
  readonly resources: string[];
  readonly detail: Record<string, unknown>;
}

export type EventSink = (event: TransferEventEnvelope) => void | Promise<void>;
