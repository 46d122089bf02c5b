/**
 * The sandbox's SFTP server: what Transfer Family's SFTP endpoint does for service-managed users,
 * on a loopback port, over the sandbox's S3. Users, keys, logical home directories and policies come
 * from the synthesized stack (./users.ts); every S3 request a command makes is checked against the
 * user's session policy and role policies first (./access.ts), so a path the stack does not grant
 * is refused here as it would be on AWS.
 *
 * Files are buffered in memory and written with one PutObject when the client closes them (as
 * Transfer does, an upload appears in S3 only once complete, and raises one S3 event).
 */
import { readableKeyPair } from "./keys";
import { Server, utils, type Connection, type SFTPWrapper, type FileEntry, type Attributes } from "ssh2";
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  CopyObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { timingSafeEqual } from "node:crypto";
import type { AddressInfo } from "node:net";
import {
  bucketArn,
  isVirtualDirectory,
  locate,
  normalize,
  objectArn,
  policyAllows,
  virtualChildren,
  type Located,
} from "./access";
import type { SandboxSftpUser } from "./users";

const { STATUS_CODE, OPEN_MODE } = utils.sftp;
const DIR_MODE = 0o040755;
const FILE_MODE = 0o100644;

export interface SandboxSftpOptions {
  readonly users: readonly SandboxSftpUser[];
  readonly s3: S3Client;
  /** @default 0 (any free port) */
  readonly port?: number;
  /** One line per session event. */
  readonly log?: (line: string) => void;
}

type S3Action = "s3:GetObject" | "s3:PutObject" | "s3:DeleteObject" | "s3:ListBucket";

class Denied extends Error {}
class Missing extends Error {}

export class SandboxSftpServer {
  private server?: Server;
  readonly hostKey = readableKeyPair("ed25519", { comment: "as2-gateway sandbox sftp" });
  port = 0;

  constructor(private readonly o: SandboxSftpOptions) {}

  async start(): Promise<number> {
    const server = new Server({ hostKeys: [this.hostKey.private] }, (client) => this.connection(client));
    this.server = server;
    await new Promise<void>((resolve) => server.listen(this.o.port ?? 0, "127.0.0.1", () => resolve()));
    this.port = (server.address() as AddressInfo).port;
    return this.port;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private connection(client: Connection): void {
    let user: SandboxSftpUser | undefined;
    client.on("error", () => undefined);
    client.on("authentication", (ctx) => {
      if (ctx.method !== "publickey") return ctx.reject(["publickey"]);
      const candidate = this.o.users.find((u) => u.name === ctx.username);
      const key = candidate?.keys.find(
        (k) =>
          k.type === ctx.key.algo &&
          k.getPublicSSH().length === ctx.key.data.length &&
          timingSafeEqual(k.getPublicSSH(), ctx.key.data),
      );
      if (!candidate || !key) return ctx.reject(["publickey"]);
      if (ctx.signature && key.verify(ctx.blob!, ctx.signature, ctx.hashAlgo) !== true)
        return ctx.reject(["publickey"]);
      user = candidate;
      ctx.accept();
    });
    client.on("ready", () => {
      this.o.log?.(`sftp        ${user!.name} connected`);
      client.on("session", (accept) => {
        const session = accept();
        session.on("sftp", (acceptSftp) => new SftpSession(acceptSftp(), user!, this.o).attach());
      });
    });
  }
}

interface WriteHandle {
  readonly kind: "write";
  readonly at: Located;
  readonly path: string;
  data: Buffer;
}
interface ReadHandle {
  readonly kind: "read";
  readonly data: Buffer;
}
interface DirHandle {
  readonly kind: "dir";
  entries: FileEntry[] | undefined;
}
type Handle = WriteHandle | ReadHandle | DirHandle;

function attrs(mode: number, size = 0, mtime = new Date()): Attributes {
  const t = Math.floor(mtime.getTime() / 1000);
  return { mode, uid: 0, gid: 0, size, atime: t, mtime: t };
}

function longname(name: string, a: Attributes): string {
  const dir = (a.mode & 0o170000) === 0o040000;
  const date = new Date(a.mtime * 1000).toISOString().slice(0, 16).replace("T", " ");
  return `${dir ? "drwxr-xr-x" : "-rw-r--r--"} 1 sftp sftp ${String(a.size).padStart(10)} ${date} ${name}`;
}

class SftpSession {
  private readonly handles = new Map<number, Handle>();
  private next = 0;

  constructor(
    private readonly sftp: SFTPWrapper,
    private readonly user: SandboxSftpUser,
    private readonly o: SandboxSftpOptions,
  ) {}

  attach(): void {
    const s = this.sftp;
    // The client's EOF on the channel ends the session: close our side, or OpenSSH waits forever.
    s.on("end", () => s.end());
    const run = (reqid: number, work: () => Promise<void>) =>
      void work().catch((e: unknown) => {
        if (e instanceof Denied) s.status(reqid, STATUS_CODE.PERMISSION_DENIED, e.message);
        else if (e instanceof Missing) s.status(reqid, STATUS_CODE.NO_SUCH_FILE, e.message);
        else s.status(reqid, STATUS_CODE.FAILURE, e instanceof Error ? e.message : String(e));
      });
    s.on("REALPATH", (id, path) => {
      const p = normalize(path);
      s.name(id, [{ filename: p, longname: p, attrs: attrs(DIR_MODE) }]);
    });
    s.on("STAT", (id, path) => run(id, async () => void s.attrs(id, await this.stat(path))));
    s.on("LSTAT", (id, path) => run(id, async () => void s.attrs(id, await this.stat(path))));
    s.on("FSTAT", (id, handle) =>
      run(id, async () => {
        const h = this.handle(handle);
        s.attrs(id, h.kind === "dir" ? attrs(DIR_MODE) : attrs(FILE_MODE, h.data.length));
      }),
    );
    // The stack sets SetStatOption ENABLE_NO_OP: clients that set times or modes are not refused.
    s.on("SETSTAT", (id) => s.status(id, STATUS_CODE.OK));
    s.on("FSETSTAT", (id) => s.status(id, STATUS_CODE.OK));
    s.on("OPENDIR", (id, path) =>
      run(id, async () => void s.handle(id, this.open({ kind: "dir", entries: await this.list(path) }))),
    );
    s.on("READDIR", (id, handle) =>
      run(id, async () => {
        const h = this.handle(handle);
        if (h.kind !== "dir") throw new Error("not a directory handle");
        if (!h.entries) return void s.status(id, STATUS_CODE.EOF);
        const entries = h.entries;
        h.entries = undefined;
        s.name(id, entries);
      }),
    );
    s.on("OPEN", (id, filename, flags) => run(id, async () => void s.handle(id, await this.openFile(filename, flags))));
    s.on("READ", (id, handle, offset, length) =>
      run(id, async () => {
        const h = this.handle(handle);
        if (h.kind !== "read") throw new Error("not open for reading");
        if (offset >= h.data.length) return void s.status(id, STATUS_CODE.EOF);
        s.data(id, h.data.subarray(offset, Math.min(h.data.length, offset + length)));
      }),
    );
    s.on("WRITE", (id, handle, offset, data) =>
      run(id, async () => {
        const h = this.handle(handle);
        if (h.kind !== "write") throw new Error("not open for writing");
        const end = offset + data.length;
        if (end > h.data.length) h.data = Buffer.concat([h.data, Buffer.alloc(end - h.data.length)]);
        data.copy(h.data, offset);
        s.status(id, STATUS_CODE.OK);
      }),
    );
    s.on("CLOSE", (id, handle) =>
      run(id, async () => {
        const h = this.handle(handle);
        this.handles.delete(handle.readUInt32BE(0));
        if (h.kind === "write") {
          await this.o.s3.send(new PutObjectCommand({ Bucket: h.at.bucket, Key: h.at.key, Body: h.data }));
          this.o.log?.(
            `sftp        ${this.user.name} put ${h.path} (${h.data.length} bytes) → s3://${h.at.bucket}/${h.at.key}`,
          );
        }
        s.status(id, STATUS_CODE.OK);
      }),
    );
    s.on("REMOVE", (id, path) =>
      run(id, async () => {
        const at = this.object(path, "s3:DeleteObject");
        if (!(await this.exists(at))) throw new Missing(`no such file: ${normalize(path)}`);
        await this.o.s3.send(new DeleteObjectCommand({ Bucket: at.bucket, Key: at.key }));
        s.status(id, STATUS_CODE.OK);
      }),
    );
    s.on("MKDIR", (id, path) =>
      run(id, async () => {
        const at = this.object(path, "s3:PutObject", "/");
        await this.o.s3.send(new PutObjectCommand({ Bucket: at.bucket, Key: at.key, Body: "" }));
        s.status(id, STATUS_CODE.OK);
      }),
    );
    s.on("RMDIR", (id, path) =>
      run(id, async () => {
        const at = this.object(path, "s3:DeleteObject", "/");
        const inside = await this.listKeys(at.bucket, at.key, 2);
        if (inside.some((k) => k !== at.key)) throw new Error(`directory not empty: ${normalize(path)}`);
        await this.o.s3.send(new DeleteObjectCommand({ Bucket: at.bucket, Key: at.key }));
        s.status(id, STATUS_CODE.OK);
      }),
    );
    s.on("RENAME", (id, from, to) =>
      run(id, async () => {
        const src = this.object(from, "s3:GetObject");
        this.object(from, "s3:DeleteObject");
        const dst = this.object(to, "s3:PutObject");
        if (!(await this.exists(src))) throw new Missing(`no such file: ${normalize(from)}`);
        await this.o.s3.send(
          new CopyObjectCommand({
            Bucket: dst.bucket,
            Key: dst.key,
            CopySource: `${src.bucket}/${src.key.split("/").map(encodeURIComponent).join("/")}`,
          }),
        );
        await this.o.s3.send(new DeleteObjectCommand({ Bucket: src.bucket, Key: src.key }));
        s.status(id, STATUS_CODE.OK);
      }),
    );
  }

  private open(h: Handle): Buffer {
    const n = this.next++;
    this.handles.set(n, h);
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n, 0);
    return b;
  }

  private handle(b: Buffer): Handle {
    const h = b.length === 4 ? this.handles.get(b.readUInt32BE(0)) : undefined;
    if (!h) throw new Error("invalid handle");
    return h;
  }

  /** Both the session policy and the role's policies must allow a request. */
  private allowed(action: S3Action, resource: string, context: Record<string, string> = {}): boolean {
    const u = this.user;
    return (
      policyAllows(u.sessionPolicy, action, resource, context) &&
      u.rolePolicies.some((p) => policyAllows(p, action, resource, context))
    );
  }

  /** The S3 object behind a path, if the user may perform `action` on it. */
  private object(path: string, action: S3Action, suffix = ""): Located {
    const at = locate(this.user.mappings, path);
    if (!at || !at.key) throw new Denied(`permission denied: ${normalize(path)}`);
    const located = { bucket: at.bucket, key: `${at.key}${suffix}` };
    if (!this.allowed(action, objectArn(located.bucket, located.key)))
      throw new Denied(`permission denied: ${normalize(path)}`);
    return located;
  }

  private async exists(at: Located): Promise<boolean> {
    try {
      await this.o.s3.send(new HeadObjectCommand({ Bucket: at.bucket, Key: at.key }));
      return true;
    } catch {
      return false;
    }
  }

  private async listKeys(bucket: string, prefix: string, max: number): Promise<string[]> {
    const r = await this.o.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, MaxKeys: max }));
    return (r.Contents ?? []).map((c) => c.Key ?? "");
  }

  private async stat(path: string): Promise<Attributes> {
    const mappings = this.user.mappings;
    if (isVirtualDirectory(mappings, path)) return attrs(DIR_MODE);
    const at = locate(mappings, path);
    if (!at) throw new Missing(`no such file: ${normalize(path)}`);
    const isMappedRoot = mappings.some((m) => normalize(m.entry) === normalize(path));
    if (isMappedRoot || !at.key) return attrs(DIR_MODE);
    if (this.allowed("s3:GetObject", objectArn(at.bucket, at.key))) {
      try {
        const h = await this.o.s3.send(new HeadObjectCommand({ Bucket: at.bucket, Key: at.key }));
        return attrs(FILE_MODE, Number(h.ContentLength ?? 0), h.LastModified ?? new Date());
      } catch {
        // not an object: maybe a folder
      }
    }
    const prefix = `${at.key}/`;
    if (this.allowed("s3:ListBucket", bucketArn(at.bucket), { "s3:prefix": prefix })) {
      if ((await this.listKeys(at.bucket, prefix, 1)).length > 0) return attrs(DIR_MODE);
    }
    throw new Missing(`no such file: ${normalize(path)}`);
  }

  private async list(path: string): Promise<FileEntry[]> {
    const mappings = this.user.mappings;
    const entries = new Map<string, FileEntry>();
    const dir = (name: string) => {
      const a = attrs(DIR_MODE);
      entries.set(name, { filename: name, longname: longname(name, a), attrs: a });
    };
    virtualChildren(mappings, path).forEach(dir);
    const at = locate(mappings, path);
    if (!at) {
      if (entries.size === 0) throw new Missing(`no such directory: ${normalize(path)}`);
      return [...entries.values()];
    }
    const prefix = at.key ? `${at.key}/` : "";
    if (!this.allowed("s3:ListBucket", bucketArn(at.bucket), { "s3:prefix": prefix }))
      throw new Denied(`permission denied: ${normalize(path)}`);
    let token: string | undefined;
    do {
      const r = await this.o.s3.send(
        new ListObjectsV2Command({ Bucket: at.bucket, Prefix: prefix, Delimiter: "/", ContinuationToken: token }),
      );
      for (const p of r.CommonPrefixes ?? []) dir((p.Prefix ?? "").slice(prefix.length).replace(/\/$/, ""));
      for (const c of r.Contents ?? []) {
        const name = (c.Key ?? "").slice(prefix.length);
        if (!name) continue; // the folder's own marker object
        const a = attrs(FILE_MODE, Number(c.Size ?? 0), c.LastModified ?? new Date());
        entries.set(name, { filename: name, longname: longname(name, a), attrs: a });
      }
      token = r.IsTruncated ? r.NextContinuationToken : undefined;
    } while (token);
    return [...entries.values()].sort((a, b) => a.filename.localeCompare(b.filename));
  }

  private async openFile(path: string, flags: number): Promise<Buffer> {
    if (flags & OPEN_MODE.WRITE) {
      const at = this.object(path, "s3:PutObject");
      return this.open({ kind: "write", at, path: normalize(path), data: Buffer.alloc(0) });
    }
    const at = this.object(path, "s3:GetObject");
    try {
      const r = await this.o.s3.send(new GetObjectCommand({ Bucket: at.bucket, Key: at.key }));
      return this.open({ kind: "read", data: Buffer.from(await r.Body!.transformToByteArray()) });
    } catch {
      throw new Missing(`no such file: ${normalize(path)}`);
    }
  }
}
