/**
 * Synthesizes an app and reports what the guard rails found: errors stop synth (the caller exits
 * non-zero), warnings (quotas) are printed and synth goes on.
 */
import type { App } from "cdktf";
import { collectFindings, formatFinding, type Findings } from "./annotations";

export interface SynthesisReport extends Findings {
  /** False when a guard rail failed: nothing should be deployed. */
  readonly ok: boolean;
}

export function synthesizeWithGuardRails(
  app: App,
  print: (line: string) => void = (l) => console.error(l),
): SynthesisReport {
  try {
    app.synth();
  } catch (e) {
    const findings = collectFindings(app);
    if (findings.errors.length === 0) throw e;
    print(`synth stopped: ${findings.errors.length} guard-rail error(s)`);
    for (const f of findings.errors) print(`  ${formatFinding(f)}`);
    return { ok: false, ...findings };
  }
  const findings = collectFindings(app);
  for (const f of findings.warnings) print(`warning: ${formatFinding(f)}`);
  return { ok: true, ...findings };
}
