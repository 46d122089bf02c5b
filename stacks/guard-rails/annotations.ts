/** Reads the annotations (guard-rail errors, quota warnings) left on a construct tree. */
import type { IConstruct } from "constructs";
import { AnnotationMetadataEntryType } from "cdktf";

export interface Finding {
  readonly path: string;
  readonly message: string;
}

export interface Findings {
  readonly errors: readonly Finding[];
  readonly warnings: readonly Finding[];
}

export function collectFindings(root: IConstruct): Findings {
  const errors: Finding[] = [];
  const warnings: Finding[] = [];
  for (const c of root.node.findAll()) {
    for (const m of c.node.metadata) {
      const finding = { path: c.node.path, message: String(m.data) };
      if (m.type === (AnnotationMetadataEntryType.ERROR as string)) errors.push(finding);
      else if (m.type === (AnnotationMetadataEntryType.WARN as string)) warnings.push(finding);
    }
  }
  return { errors, warnings };
}

export function formatFinding(f: Finding): string {
  return `${f.path}: ${f.message}`;
}
