import { TransferServer } from "@cdktf/provider-aws/lib/transfer-server";
import { TransferUser } from "@cdktf/provider-aws/lib/transfer-user";
import { synthWithGuardRails } from "../helpers";

const hardened = {
  protocols: ["SFTP"],
  identityProviderType: "SERVICE_MANAGED",
  securityPolicyName: "TransferSecurityPolicy-2024-01",
};

describe("guard rail TransferSftpServerHardened", () => {
  it("passes an SFTP-only, service-managed server with a current policy, and ignores AS2 servers", () => {
    const { findings } = synthWithGuardRails((s) => {
      new TransferServer(s, "sftp", hardened);
      new TransferServer(s, "as2", { protocols: ["AS2"] });
    });
    expect(findings.errors).toEqual([]);
  });

  it.each([
    [{ protocols: ["SFTP", "FTP"] }, /protocols include FTP/],
    [{ protocols: ["FTPS"] }, /protocols include FTPS/],
    [{ identityProviderType: "API_GATEWAY" }, /identity_provider_type API_GATEWAY can accept passwords/],
    [{ sftpAuthenticationMethods: "PUBLIC_KEY_OR_PASSWORD" }, /allows passwords/],
    [{ securityPolicyName: "TransferSecurityPolicy-2023-05" }, /older than TransferSecurityPolicy-2024-01/],
    [{ securityPolicyName: undefined }, /2018-11 \(the default\) is older/],
  ])("fails %j", (change, message) => {
    const { findings } = synthWithGuardRails((s) => new TransferServer(s, "sftp", { ...hardened, ...change }));
    expect(findings.errors).toEqual([
      {
        path: "test/sftp",
        message: expect.stringMatching(new RegExp(`\\[TransferSftpServerHardened\\].*${message.source}`)),
      },
    ]);
  });
});

describe("guard rail TransferUserScoped", () => {
  const user = {
    serverId: "s-1",
    userName: "u",
    role: "arn:aws:iam::123456789012:role/r",
    homeDirectoryType: "LOGICAL",
    homeDirectoryMappings: [{ entry: "/", target: "/bucket/AS2/drop/A/B" }],
    policy: '{"Version":"2012-10-17","Statement":[]}',
  };

  it("passes a chrooted user with a session policy", () => {
    const { findings } = synthWithGuardRails((s) => new TransferUser(s, "user", user));
    expect(findings.errors).toEqual([]);
  });

  it.each([
    [{ homeDirectoryType: "PATH" }, /not LOGICAL/],
    [{ policy: undefined }, /no session policy/],
    [{ homeDirectoryMappings: [{ entry: "/x", target: "/bucket/_gateway/config" }] }, /mapping reaches _gateway\//],
  ])("fails %j", (change, message) => {
    const { findings } = synthWithGuardRails((s) => new TransferUser(s, "user", { ...user, ...change }));
    expect(findings.errors).toEqual([
      { path: "test/user", message: expect.stringMatching(new RegExp(`\\[TransferUserScoped\\].*${message.source}`)) },
    ]);
  });
});
