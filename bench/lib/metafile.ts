/**
 * Reads an esbuild metafile: how many bytes of a bundle are our own code, the AWS SDK, or other
 * packages; which `@aws-sdk/client-*` packages are in it; and which of them our code can call.
 */

/** The subset of esbuild's Metafile this module reads (so tests can build one by hand). */
export interface MetafileLike {
  readonly inputs: Record<
    string,
    {
      readonly bytes: number;
      readonly imports: readonly { readonly path: string; readonly original?: string; readonly external?: boolean }[];
    }
  >;
  readonly outputs: Record<
    string,
    { readonly bytes: number; readonly inputs: Record<string, { readonly bytesInOutput: number }> }
  >;
}

export type Origin = "own" | "aws-sdk" | "other";

/** Packages that are the SDK or exist only to serve it. */
const SDK_SCOPES = ["@aws-sdk/", "@smithy/", "@aws-crypto/", "@aws/"];
const SDK_DEPENDENCIES = new Set(["fast-xml-parser", "strnum", "tslib", "bowser", "uuid", "mnemonist", "obliterator"]);

/** `node_modules/@aws-sdk/client-s3/dist-cjs/index.js` → `@aws-sdk/client-s3`; own files → undefined. */
export function packageOf(path: string): string | undefined {
  const norm = path.replace(/\\/g, "/");
  const i = norm.lastIndexOf("node_modules/");
  if (i < 0) return undefined;
  const parts = norm.slice(i + "node_modules/".length).split("/");
  return parts[0]!.startsWith("@") ? `${parts[0]}/${parts[1]}` : parts[0];
}

export function originOf(path: string): Origin {
  const pkg = packageOf(path);
  if (pkg === undefined) return "own";
  if (SDK_SCOPES.some((s) => pkg.startsWith(s)) || SDK_DEPENDENCIES.has(pkg)) return "aws-sdk";
  return "other";
}

export interface BundleComposition {
  /** Bytes of the JavaScript output. */
  readonly totalBytes: number;
  readonly byOrigin: Record<Origin, number>;
  /** Bytes in the output per package (own code under "(own)"), largest first. */
  readonly byPackage: readonly { readonly name: string; readonly origin: Origin; readonly bytes: number }[];
  /** `@aws-sdk/client-*` packages with code in the bundle, short names (`s3`, `dynamodb`). */
  readonly clientsInBundle: readonly string[];
  /** Own source files in the bundle (relative paths as esbuild gives them). */
  readonly ownFiles: readonly string[];
}

function jsOutput(meta: MetafileLike) {
  const entry = Object.entries(meta.outputs).find(([p]) => p.endsWith(".js"));
  if (!entry) throw new Error("metafile has no .js output");
  return entry[1];
}

/** `@aws-sdk/client-s3` → `s3`; anything else → undefined. */
export function clientName(pkg: string): string | undefined {
  const m = /^@aws-sdk\/client-([a-z0-9-]+)$/.exec(pkg);
  return m ? m[1] : undefined;
}

export function composition(meta: MetafileLike): BundleComposition {
  const out = jsOutput(meta);
  const byOrigin: Record<Origin, number> = { own: 0, "aws-sdk": 0, other: 0 };
  const byPkg = new Map<string, { name: string; origin: Origin; bytes: number }>();
  const ownFiles: string[] = [];
  for (const [path, { bytesInOutput }] of Object.entries(out.inputs)) {
    if (bytesInOutput <= 0) continue;
    const origin = originOf(path);
    byOrigin[origin] += bytesInOutput;
    const name = packageOf(path) ?? "(own)";
    const e = byPkg.get(name) ?? { name, origin, bytes: 0 };
    e.bytes += bytesInOutput;
    byPkg.set(name, e);
    if (origin === "own") ownFiles.push(path);
  }
  const clientsInBundle = [...byPkg.keys()]
    .map(clientName)
    .filter((c): c is string => c !== undefined)
    .sort();
  return {
    totalBytes: out.bytes,
    byOrigin,
    byPackage: [...byPkg.values()].sort((a, b) => b.bytes - a.bytes),
    clientsInBundle,
    ownFiles: ownFiles.sort(),
  };
}

/** Packages whose commands call a client (document clients wrap the plain ones). */
const CALLING_WRAPPERS: Record<string, string> = {
  "@aws-sdk/lib-dynamodb": "dynamodb",
  "@aws-sdk/lib-storage": "s3",
  "@aws-sdk/s3-request-presigner": "s3",
};

/**
 * Which clients a piece of our source can call: it imports a command, a paginator, a waiter or the
 * aggregated client (`S3`, whose methods send commands) from the client package, or a command from a
 * wrapper such as lib-dynamodb. Importing only the `XxxClient` class, types or exceptions calls
 * nothing. Type-only imports are ignored.
 */
export function clientsCalledInSource(source: string): string[] {
  const found = new Set<string>();
  const importRe = /import\s+(type\s+)?\{([^}]*)\}\s*from\s*["']([^"']+)["']/g;
  for (const m of source.matchAll(importRe)) {
    if (m[1]) continue;
    const pkg = m[3]!;
    const client = clientName(pkg) ?? CALLING_WRAPPERS[pkg];
    if (!client) continue;
    const names = m[2]!
      .split(",")
      .map((s) => s.trim())
      .filter((s) => s && !s.startsWith("type "))
      .map((s) => s.split(/\s+as\s+/)[0]!.trim());
    const calls = names.some(
      (n) =>
        /Command$/.test(n) ||
        /^paginate[A-Z]/.test(n) ||
        /^waitUntil[A-Z]/.test(n) ||
        (clientName(pkg) !== undefined && isAggregatedClient(n, pkg)),
    );
    if (calls) found.add(client);
  }
  // `import * as s3 from "@aws-sdk/client-s3"` can reach anything: count it as a call.
  for (const m of source.matchAll(/import\s+\*\s+as\s+\w+\s+from\s*["']([^"']+)["']/g)) {
    const client = clientName(m[1]!) ?? CALLING_WRAPPERS[m[1]!];
    if (client) found.add(client);
  }
  return [...found].sort();
}

/** `S3` from client-s3, `DynamoDB` from client-dynamodb: the class whose methods send commands. */
function isAggregatedClient(name: string, pkg: string): boolean {
  const short = clientName(pkg)!.replace(/-/g, "");
  return name.toLowerCase() === short;
}

export interface ClientAudit {
  readonly inBundle: readonly string[];
  readonly called: readonly string[];
  /** In the bundle but never called by our code. */
  readonly unused: readonly string[];
}

export function auditClients(comp: BundleComposition, readSource: (ownFile: string) => string): ClientAudit {
  const called = new Set<string>();
  for (const f of comp.ownFiles) for (const c of clientsCalledInSource(readSource(f))) called.add(c);
  return {
    inBundle: comp.clientsInBundle,
    called: [...called].sort(),
    unused: comp.clientsInBundle.filter((c) => !called.has(c)),
  };
}
