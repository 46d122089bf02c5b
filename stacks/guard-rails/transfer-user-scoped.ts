/**
 * Every Transfer user is chrooted (LOGICAL home directory) and carries a session policy, and no
 * mapping reaches the gateway's private `_gateway/` tree: a user's view is exactly what the
 * customer declared, whatever the shared role allows.
 */
import { WORK_PREFIX } from "../../model/layout";
import type { GuardRailRule } from "./rule";

export const TransferUserScoped: GuardRailRule = {
  id: "TransferUserScoped",
  description: "Transfer users: LOGICAL home directory, a session policy, nothing under _gateway/",
  appliesTo: ["aws_transfer_user"],
  check(el, ctx) {
    const c = ctx.config(el);
    const problems: string[] = [];
    if (c.home_directory_type !== "LOGICAL")
      problems.push("home_directory_type is not LOGICAL: the user could walk the whole bucket the role allows");
    if (!c.policy) problems.push("no session policy (policy): the user gets everything the shared role allows");
    const mappings = (c.home_directory_mappings as { target?: string }[] | undefined) ?? [];
    const intoWork = mappings.filter((m) => String(m.target ?? "").includes(`/${WORK_PREFIX}`));
    if (intoWork.length) problems.push(`a home directory mapping reaches ${WORK_PREFIX}, the gateway's private tree`);
    if (String(c.policy ?? "").includes(WORK_PREFIX)) problems.push(`the session policy grants ${WORK_PREFIX}`);
    return problems;
  },
};
