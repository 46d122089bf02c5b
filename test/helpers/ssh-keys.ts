/** SSH key pairs made at test time (nothing private is ever committed). */
import { readableKeyPair } from "../../sandbox/sftp/keys";

export interface SshKeyPair {
  /** OpenSSH private key (PEM-like `OPENSSH PRIVATE KEY` block). */
  readonly privateKey: string;
  /** One-line OpenSSH public key. */
  readonly publicKey: string;
}

export function sshKeyPair(type: "ed25519" | "rsa" = "ed25519", bits = 2048, comment = "test"): SshKeyPair {
  const pair = readableKeyPair(type, { bits, comment });
  return { privateKey: pair.private, publicKey: pair.public.trim() };
}
