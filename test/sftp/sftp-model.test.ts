/** The customer file's sftp section: keys, names and references refused with precise messages. */
import { validateCustomer, CustomerFileError, formatProblem } from "../../model/load";
import { sshPublicKeyProblem } from "../../model/sftp";
import { customerInput } from "../helpers/customer-factory";
import { sshKeyPair } from "../helpers/ssh-keys";
import type { CustomerInput } from "../../model/customer";

const ed = sshKeyPair("ed25519");
const rsa = sshKeyPair("rsa", 2048);

function problems(sftp: unknown, overrides: Partial<CustomerInput> = {}): string[] {
  try {
    validateCustomer(customerInput({ sftp: sftp as CustomerInput["sftp"], ...overrides }), "customers/acme.json");
  } catch (e) {
    if (e instanceof CustomerFileError) return e.problems.map(formatProblem);
    throw e;
  }
  return [];
}

describe("SSH public keys", () => {
  it("accepts ed25519 and RSA >= 2048 public keys", () => {
    expect(sshPublicKeyProblem(ed.publicKey)).toBeUndefined();
    expect(sshPublicKeyProblem(rsa.publicKey)).toBeUndefined();
  });

  it("refuses a private key with the command that prints the public one", () => {
    expect(sshPublicKeyProblem(ed.privateKey)).toMatch(/PRIVATE key.*ssh-keygen -y -f/);
    expect(sshPublicKeyProblem("-----BEGIN RSA PRIVATE KEY-----\nMIIE...")).toMatch(/PRIVATE key/);
  });

  it("refuses short RSA keys, unknown types, damaged bodies and mismatched types", () => {
    expect(sshPublicKeyProblem(sshKeyPair("rsa", 1024).publicKey)).toBe("RSA keys need at least 2048 bits, found 1024");
    expect(sshPublicKeyProblem("ssh-dss AAAAB3NzaC1kc3M= x")).toMatch(/key type 'ssh-dss' is not accepted by Transfer/);
    expect(sshPublicKeyProblem("ssh-ed25519 not*base64")).toBe("the key body is not base64");
    const body = ed.publicKey.split(" ")[1]!;
    expect(sshPublicKeyProblem(`ssh-ed25519 ${body.slice(0, 20)}`)).toBe("the ssh-ed25519 key body is incomplete");
    expect(sshPublicKeyProblem(`ssh-rsa ${body}`)).toMatch(/does not hold a 'ssh-rsa' key/);
    expect(sshPublicKeyProblem("ssh-ed25519")).toMatch(/'<type> <base64> \[comment\]'/);
  });
});

describe("sftp section", () => {
  const user = { name: "erp", role: "system", publicKeys: [ed.publicKey] };

  it("stops at a private key with the file and the field, never echoing the key", () => {
    const p = problems({ users: [{ ...user, publicKeys: [ed.privateKey] }] });
    expect(p).toHaveLength(1);
    // The loader's scan for private key material anywhere in a customer file answers first.
    expect(p[0]).toMatch(/^customers\/acme\.json: sftp\.users\[0\]\.publicKeys\[0\]: private key material/);
    expect(p[0]).not.toContain(ed.privateKey.split("\n")[1]!);
  });

  it("names undeclared stations and partners, duplicate user names and misplaced grants", () => {
    const p = problems({
      users: [
        { ...user, stations: ["NOPE"] },
        { name: "ERP", role: "partner", partner: "GHOST", publicKeys: [ed.publicKey] },
        { name: "ops", role: "system", publicKeys: [ed.publicKey], canDelete: ["drop"] },
      ],
    });
    expect(p).toEqual([
      expect.stringMatching(/sftp\.users\[0\]\.stations\[0\]: station 'NOPE' is not declared; expected one of: 'ACME'/),
      expect.stringMatching(/sftp\.users\[1\]\.name: user name 'ERP' is already used by sftp\.users\.0/),
      expect.stringMatching(/sftp\.users\[1\]\.partner: partner 'GHOST' is not declared/),
      expect.stringMatching(/sftp\.users\[2\]\.canDelete: 'drop' applies to partner users only/),
    ]);
  });

  it("refuses old security policies, bad user names, empty key lists and 0.0.0.0/0 without the opt-in flag's consistency", () => {
    const p = problems({
      securityPolicy: "TransferSecurityPolicy-2018-11",
      allowFromAnywhere: true,
      allowedCidrs: ["10.0.0.0/8"],
      users: [{ ...user, name: "-x", publicKeys: [] }],
    });
    expect(p).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/sftp\.securityPolicy: .*TransferSecurityPolicy-2024-01/),
        expect.stringMatching(/sftp\.users\[0\]\.name: 3-100 letters/),
        expect.stringMatching(/sftp\.users\[0\]\.publicKeys: give at least one OpenSSH public key/),
      ]),
    );
  });

  it("refuses a user whose session policy would pass Transfer's 2048 characters, naming the fix", () => {
    const stations = Array.from({ length: 12 }, (_, i) => ({
      as2Id: `STATION-${String(i).padStart(2, "0")}-${"X".repeat(90)}`,
      signing: { generate: true as const },
    }));
    const p = problems({ users: [user] }, { stations, partners: [] });
    expect(p).toEqual([
      expect.stringMatching(/sftp\.users\[0\]\.stations: .*Transfer allows 2048: list fewer stations/),
    ]);
    expect(problems({ users: [{ ...user, stations: [stations[0]!.as2Id] }] }, { stations, partners: [] })).toEqual([]);
  });
});
