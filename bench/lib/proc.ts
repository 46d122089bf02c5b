/**
 * Runs a command and measures its wall time and peak resident memory. `/usr/bin/time` reports the
 * largest process of the tree (tsx and the cdktf CLI start child Node processes); without it we
 * poll VmHWM of every process in the tree, which gives the same figure within the polling interval.
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync, readdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface RunResult {
  readonly wallMs: number;
  /** Peak RSS of the largest process in the tree, bytes. */
  readonly peakRssBytes: number;
  /** User + system CPU time of the tree (NaN without GNU time): less sensitive to a busy machine than wall time. */
  readonly cpuMs: number;
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly method: "time -v" | "proc";
}

export interface RunOptions {
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  /** @default 240000 */
  readonly timeoutMs?: number;
}

const GNU_TIME = "/usr/bin/time";

export function hasGnuTime(): boolean {
  return existsSync(GNU_TIME);
}

/** `Maximum resident set size (kbytes): 123` → bytes, from `time -v` output. */
export function parseGnuTimeRss(text: string): number | undefined {
  const m = /Maximum resident set size \(kbytes\):\s*(\d+)/.exec(text);
  return m ? Number(m[1]) * 1024 : undefined;
}

/** `User time (seconds): 1.5` + `System time (seconds): 0.25` → ms, from `time -v` output. */
export function parseGnuTimeCpuMs(text: string): number | undefined {
  const u = /User time \(seconds\):\s*([\d.]+)/.exec(text);
  const s = /System time \(seconds\):\s*([\d.]+)/.exec(text);
  return u && s ? Math.round((Number(u[1]) + Number(s[1])) * 1000) : undefined;
}

/** `VmHWM:   123 kB` → bytes, from /proc/<pid>/status. */
export function parseVmHwm(status: string): number | undefined {
  const m = /^VmHWM:\s*(\d+)\s*kB/m.exec(status);
  return m ? Number(m[1]) * 1024 : undefined;
}

function childrenOf(pid: number): number[] {
  const out: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return out;
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, "utf8");
      // Field 4 is the parent pid; the name (field 2) may contain spaces, so split after ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === pid) out.push(Number(e));
    } catch {
      // process ended meanwhile
    }
  }
  return out;
}

function treeOf(pid: number): number[] {
  const all = [pid];
  for (let i = 0; i < all.length; i++) all.push(...childrenOf(all[i]!));
  return all;
}

export function runMeasured(cmd: string, args: readonly string[], opts: RunOptions): Promise<RunResult> {
  const useTime = hasGnuTime();
  const timeDir = useTime ? mkdtempSync(join(tmpdir(), "bench-time-")) : undefined;
  const timeFile = timeDir ? join(timeDir, "time.txt") : undefined;
  const [file, argv] = useTime ? [GNU_TIME, ["-v", "-o", timeFile!, cmd, ...args]] : [cmd, [...args]];
  return new Promise((resolvePromise, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(file, argv, { cwd: opts.cwd, env: opts.env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const peaks = new Map<number, number>();
    const poll = useTime
      ? undefined
      : setInterval(() => {
          for (const pid of treeOf(child.pid!)) {
            try {
              const hwm = parseVmHwm(readFileSync(`/proc/${pid}/status`, "utf8"));
              if (hwm !== undefined && hwm > (peaks.get(pid) ?? 0)) peaks.set(pid, hwm);
            } catch {
              // ended
            }
          }
        }, 20);
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 240_000);
    child.on("error", reject);
    child.on("close", (code) => {
      const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
      clearTimeout(timer);
      if (poll) clearInterval(poll);
      let peakRssBytes = Math.max(0, ...peaks.values());
      let cpuMs = NaN;
      if (useTime) {
        const text = existsSync(timeFile!) ? readFileSync(timeFile!, "utf8") : "";
        peakRssBytes = parseGnuTimeRss(text) ?? 0;
        cpuMs = parseGnuTimeCpuMs(text) ?? NaN;
        rmSync(timeDir!, { recursive: true, force: true });
      }
      resolvePromise({
        wallMs,
        peakRssBytes,
        cpuMs,
        exitCode: code,
        stdout,
        stderr,
        method: useTime ? "time -v" : "proc",
      });
    });
  });
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}
