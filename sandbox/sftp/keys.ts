/**
 * SSH key pairs from ssh2 that ssh2 (and OpenSSH) can read back. ssh2's generateKeyPairSync strips
 * leading zero bytes from an ed25519 public key, so about 1 key in 256 comes out with 31 bytes and
 * is refused as malformed (mscdex/ssh2 issues #1390 and #1513, open): such a pair is drawn again.
 */
import { utils } from "ssh2";

export interface KeyPairText {
  /** OpenSSH private key (`OPENSSH PRIVATE KEY` block). */
  readonly private: string;
  /** One-line OpenSSH public key. */
  readonly public: string;
}

export function readableKeyPair(
  type: "ed25519" | "rsa",
  options: { bits?: number; comment?: string } = {},
): KeyPairText {
  for (let attempt = 0; attempt < 16; attempt++) {
    const pair =
      type === "rsa"
        ? utils.generateKeyPairSync("rsa", { bits: options.bits ?? 2048, comment: options.comment })
        : utils.generateKeyPairSync("ed25519", { comment: options.comment });
    if (!(utils.parseKey(pair.public) instanceof Error) && !(utils.parseKey(pair.private) instanceof Error))
      return pair;
  }
  throw new Error(`ssh2 produced no readable ${type} key pair in 16 attempts`);
}
