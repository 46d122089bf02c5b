/**
 * SFTP in the sandbox: the example customer's synthesized SFTP users (with keys made here), served
 * over the sandbox's S3, driven with ssh2-sftp-client and with the real OpenSSH `sftp` client.
 * A file put over SFTP goes through the real send pipeline to the partner stand-in and lands in
 * outbox/ with its MDN; what the stack does not grant is refused.
 */
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { spawn } from "node:child_process";
import SftpClient from "ssh2-sftp-client";
import type { Sandbox } from "../../sandbox/runner/sandbox";
import type { Scenario } from "../../sandbox/runner/scenario";
import {
  expectSteps as expectScenarioSteps,
  startExampleSandbox,
  type ExampleSandbox,
} from "../helpers/example-sandbox";
import { sshKeyPair, type SshKeyPair } from "../helpers/ssh-keys";

let x: ExampleSandbox;
let sb: Sandbox;
let workDir: string;
let lines: string[];
const erp = sshKeyPair("ed25519", 0, "erp");
const globex = sshKeyPair("rsa", 3072, "globex");
const stranger = sshKeyPair("ed25519", 0, "stranger");

beforeAll(async () => {
  x = await startExampleSandbox("sandbox-sftp", {
    sftp: {
      endpoint: "internet",
      users: [
        { name: "erp-system", role: "system", stations: ["ACME-AS2"], publicKeys: [erp.publicKey] },
        { name: "globex-drop", role: "partner", partner: "GLOBEX", publicKeys: [globex.publicKey] },
      ],
    },
  });
  ({ sb, workDir, lines } = x);
}, 120_000);

afterAll(async () => {
  await sb?.stop();
});

const expectSteps = (steps: Scenario["steps"]) => expectScenarioSteps(x, steps);

async function client(user: string, key: SshKeyPair): Promise<SftpClient> {
  const c = new SftpClient();
  await c.connect({ host: "127.0.0.1", port: sb.sftp!.port, username: user, privateKey: key.privateKey });
  return c;
}

function keyFile(key: SshKeyPair, name: string): string {
  const f = join(workDir, name);
  writeFileSync(f, key.privateKey);
  chmodSync(f, 0o600);
  return f;
}

/**
 * The real OpenSSH client in batch mode; a command prefixed with '-' may fail without ending the
 * batch. Asynchronous: the server under test runs in this process.
 */
async function openssh(
  user: string,
  key: SshKeyPair,
  commands: string[],
): Promise<{ status: number | null; out: string }> {
  const batch = join(workDir, `batch-${Date.now()}`);
  writeFileSync(batch, `${commands.join("\n")}\n`);
  const args = [
    "-b",
    batch,
    "-P",
    String(sb.sftp!.port),
    "-i",
    keyFile(key, `${user}.key`),
    "-o",
    `UserKnownHostsFile=${join(workDir, "sftp_known_hosts")}`,
    "-o",
    "StrictHostKeyChecking=yes",
    "-o",
    "IdentitiesOnly=yes",
    `${user}@127.0.0.1`,
  ];
  return new Promise((resolve, reject) => {
    const child = spawn("sftp", args, { cwd: workDir, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill(), 60_000);
    child.on("error", reject);
    child.on("close", (status) => {
      clearTimeout(timer);
      resolve({ status, out });
    });
  });
}

describe("SFTP in the sandbox", () => {
  it("the banner tells how to connect, with the host key pinned", () => {
    expect(sb.sftpBanner().join("\n")).toMatch(
      /sftp -P \d+ -o UserKnownHostsFile=.*sftp_known_hosts -i <private key> <user>@127\.0\.0\.1/,
    );
    expect(readFileSync(join(workDir, "sftp_known_hosts"), "utf8")).toMatch(/^\[127\.0\.0\.1\]:\d+ ssh-ed25519 /);
  });

  it("OpenSSH sftp: a system user's upload reaches Globex and lands in outbox/ with its MDN", async () => {
    writeFileSync(join(workDir, "po 1001.edi"), "ISA*00*...*~\n");
    // S3 has no empty folders: a partner's send folder exists once something is in it, so the
    // upload names the whole path (as it would on Transfer).
    const r = await openssh("erp-system", erp, ['put "po 1001.edi" "AS2/send/ACME-AS2/GLOBEX/po 1001.edi"']);
    expect(r.out).not.toMatch(/denied|not found|failure/i);
    expect(r.status).toBe(0);
    await expectSteps([
      { expect: { partnerReceived: { partner: "GLOBEX", file: "po 1001.edi" } } },
      { expect: { folder: "outbox", station: "ACME-AS2", partner: "GLOBEX", file: "po 1001.edi", verifiedMdn: true } },
    ]);
  }, 120_000);

  it("ssh2-sftp-client: the system user sends, then lists and downloads what Globex sent to inbox/", async () => {
    const c = await client("erp-system", erp);
    try {
      await c.put(Buffer.from("UNB+UNOA:2+ACME-AS2+GLOBEX'\r\n"), "/AS2/send/ACME-AS2/GLOBEX/inv-2002.edi");
      await expectSteps([
        {
          expect: { folder: "outbox", station: "ACME-AS2", partner: "GLOBEX", file: "inv-2002.edi", verifiedMdn: true },
        },
        { sendInbound: { partner: "GLOBEX", file: "asn-3003.edi", content: "UNB+UNOA:2+GLOBEX+ACME-AS2'\r\n" } },
        { expect: { folder: "inbox", station: "ACME-AS2", partner: "GLOBEX", file: "asn-3003.edi" } },
      ]);
      const inbox = "/AS2/files/ACME-AS2/GLOBEX/inbox";
      const found: string[] = [];
      for (const d of await c.list(inbox))
        for (const f of await c.list(`${inbox}/${d.name}`)) found.push(`${inbox}/${d.name}/${f.name}`);
      const payload = found.find((f) => f.endsWith("/asn-3003.edi"));
      expect(payload).toBeDefined();
      expect(((await c.get(payload!)) as Buffer).toString()).toBe("UNB+UNOA:2+GLOBEX+ACME-AS2'\r\n");
      expect((await c.list("/")).map((e) => e.name)).toEqual(["AS2"]);
      expect((await c.list("/AS2/send")).map((e) => e.name)).toEqual(["ACME-AS2"]);
    } finally {
      await c.end();
    }
  }, 120_000);

  it("refuses writes to read-only folders, other stations, _gateway/ and deletes it was not granted", async () => {
    const c = await client("erp-system", erp);
    try {
      await expect(c.put(Buffer.from("x"), "/AS2/files/ACME-AS2/GLOBEX/inbox/forged.edi")).rejects.toThrow(
        /Permission denied/i,
      );
      await expect(c.put(Buffer.from("x"), "/AS2/send/ACME-EU/INITECH/x.edi")).rejects.toThrow(/Permission denied/i);
      await expect(c.list("/_gateway")).rejects.toThrow(/no such/i);
      await expect(c.get("/../_gateway/config/routing.json")).rejects.toThrow(/Permission denied|No such file/i);
      const inbox = "/AS2/files/ACME-AS2/GLOBEX/inbox";
      const [d] = await c.list(inbox);
      const [f] = await c.list(`${inbox}/${d!.name}`);
      await expect(c.delete(`${inbox}/${d!.name}/${f!.name}`)).rejects.toThrow(/Permission denied/i);
    } finally {
      await c.end();
    }
  }, 60_000);

  it("a partner user sees only its drop folder; `cd ..` and `..` paths do not leave it", async () => {
    const r = await openssh("globex-drop", globex, [
      "put /etc/hostname batch-1.x12",
      "cd ..",
      "pwd",
      "ls -1",
      "-get ../AS2/files/ACME-AS2/GLOBEX/inbox/x.edi",
    ]);
    expect(r.out).toMatch(/Remote working directory: \/\n/);
    expect(r.out).toMatch(/ls -1\nbatch-1\.x12\n/);
    expect(r.out).toMatch(/File "\/\.\.\/AS2\/files\/ACME-AS2\/GLOBEX\/inbox\/x\.edi" not found/);
    const c = await client("globex-drop", globex);
    try {
      expect((await c.list("/")).map((e) => e.name)).toEqual(["batch-1.x12"]);
      await expect(c.put(Buffer.from("x"), "/../../AS2/send/ACME-AS2/GLOBEX/sneaky.edi")).resolves.toBeDefined();
      // `..` is resolved inside the chroot: the file went into the drop folder, never to the send path.
      expect((await c.list("/AS2/send/ACME-AS2/GLOBEX")).map((e) => e.name)).toEqual(["sneaky.edi"]);
      await expect(c.delete("/batch-1.x12")).rejects.toThrow(/Permission denied/i);
    } finally {
      await c.end();
    }
    expect(
      lines.some((l) => /sneaky\.edi \(1 bytes\) → s3:\/\/[^/]+\/AS2\/drop\/ACME-AS2\/GLOBEX\/AS2\/send/.test(l)),
    ).toBe(true);
  }, 60_000);

  it("refuses an unknown key and a known key under another user name", async () => {
    await expect(client("erp-system", stranger)).rejects.toThrow(/authentication/i);
    await expect(client("erp-system", globex)).rejects.toThrow(/authentication/i);
  }, 30_000);
});
