/**
 * The SFTP users of a synthesized stack, as the sandbox serves them: each `aws_transfer_user` with
 * its `aws_transfer_ssh_key`s, LOGICAL home directory mappings, session policy, and the inline
 * policies of its role. Nothing here comes from the customer file: what was synthesized is what runs.
 */
import { utils, type ParsedKey } from "ssh2";
import type { LocalState } from "../runner/local-state";
import type { Mapping, Statement } from "./access";

export interface SandboxSftpUser {
  readonly name: string;
  readonly keys: readonly ParsedKey[];
  readonly mappings: readonly Mapping[];
  readonly sessionPolicy: readonly Statement[];
  /** Inline policies of the user's role (each must allow too). */
  readonly rolePolicies: readonly (readonly Statement[])[];
}

function statements(json: unknown): Statement[] {
  if (typeof json !== "string") return [];
  const doc = JSON.parse(json) as { Statement?: Statement | Statement[] };
  return doc.Statement === undefined ? [] : Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement];
}

export function sftpUsersOf(state: LocalState): SandboxSftpUser[] {
  const keys = new Map<string, ParsedKey[]>();
  for (const k of state.resourcesOf("aws_transfer_ssh_key")) {
    const user = String(k.args["user_name"]);
    const parsed = utils.parseKey(String(k.args["body"]));
    if (parsed instanceof Error) throw new Error(`aws_transfer_ssh_key.${k.name}: ${parsed.message}`);
    const list: ParsedKey[] = Array.isArray(parsed) ? (parsed as ParsedKey[]) : [parsed];
    keys.set(user, [...(keys.get(user) ?? []), ...list]);
  }
  const rolePolicies = new Map<string, Statement[][]>();
  for (const p of state.resourcesOf("aws_iam_role_policy")) {
    const role = String(p.args["role"]);
    rolePolicies.set(role, [...(rolePolicies.get(role) ?? []), statements(p.args["policy"])]);
  }
  const roleName = (arn: string) => arn.split("/").at(-1) ?? arn;
  return state.resourcesOf("aws_transfer_user").map((u) => {
    const name = String(u.args["user_name"]);
    if (u.args["home_directory_type"] !== "LOGICAL")
      throw new Error(
        `SFTP user ${name}: the sandbox serves LOGICAL home directories only, as the stack declares them`,
      );
    return {
      name,
      keys: keys.get(name) ?? [],
      mappings: (u.args["home_directory_mappings"] as unknown as Mapping[] | undefined) ?? [],
      sessionPolicy: statements(u.args["policy"]),
      rolePolicies: rolePolicies.get(roleName(String(u.args["role"]))) ?? [],
    };
  });
}
