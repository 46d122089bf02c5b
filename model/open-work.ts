/**
 * The state table's sparse index of open work, shared by the stack (which declares it) and the
 * handlers (which query it): only unfinished items carry `openKind` and `openSince`, so the
 * reconciler and the operator command find open work by kind and age, oldest first, without
 * scanning the table.
 */
export const OPEN_WORK_INDEX = { name: "open-work", partitionKey: "openKind", sortKey: "openSince" } as const;
