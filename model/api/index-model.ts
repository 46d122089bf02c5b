/**
 * The message index (REST API, issue 15): one item per message, inbound and outbound, in its own
 * DynamoDB table. Pure: the shapes, the order of states and the GSI keys; the writes live in
 * handlers/api/index-writer.ts. Free of zod and of the SDK.
 *
 * Two kinds of facts never overwrite each other:
 * - the pipeline's state (`state`: queued → sending ⇄ retrying → sent | failed; received), written
 *   by the send and receive paths in rank order, so a late or repeated event never moves it back;
 * - the user's acts (`read`, `deletedAt`), written only by the API.
 * The API shows one state: deleted, else read, else the pipeline's state.
 */

export const PIPELINE_STATES = ["queued", "sending", "retrying", "sent", "failed", "received"] as const;
export type PipelineState = (typeof PIPELINE_STATES)[number];
export const MESSAGE_STATES = [...PIPELINE_STATES, "read", "deleted"] as const;
export type MessageState = (typeof MESSAGE_STATES)[number];
export type Direction = "inbound" | "outbound";

/**
 * Order of the pipeline's states. sending and retrying share a rank: a message goes back and forth
 * between them, and the event time orders those (`stateAt`). The final states rank highest.
 */
export const STATE_RANK: Readonly<Record<PipelineState, number>> = {
  queued: 10,
  sending: 20,
  retrying: 20,
  sent: 30,
  failed: 30,
  received: 30,
};

export interface IndexedFile {
  readonly fileName: string;
  readonly size?: number;
  /** Where the payload is now (send folder, outbox/, inbox/ or failed/). */
  readonly key?: string;
}

export interface IndexedMdn {
  readonly key?: string;
  readonly status?: string;
  readonly disposition?: string;
}

/** What the send and receive paths (and the API's own send) tell the index at a state change. */
export interface IndexTransition {
  readonly id: string;
  readonly direction: Direction;
  readonly station: string;
  readonly partner: string;
  readonly test: boolean;
  readonly state: PipelineState;
  /** ISO time of the event that caused the transition (orders transitions of equal rank). */
  readonly at: string;
  readonly as2MessageId?: string;
  readonly subject?: string;
  readonly files?: readonly IndexedFile[];
  readonly mdn?: IndexedMdn;
  readonly recordKey?: string;
  readonly failureCode?: string;
  readonly failureReason?: string;
  readonly attempts?: number;
  /** The upload key of an outbound message (where a resend copies from when it failed before staging). */
  readonly uploadKey?: string;
  /** Id of the failed message this one resends. */
  readonly resendOf?: string;
}

/** The stored item: the transition's facts plus GSI keys and the user's acts. */
export interface IndexItem extends Omit<IndexTransition, "at"> {
  readonly pk: string;
  readonly rank: number;
  readonly stateAt: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly routeKey: string;
  readonly stateKey: string;
  readonly dirKey: Direction;
  readonly sortAt: string;
  readonly read?: boolean;
  readonly deletedAt?: string;
  readonly resentAs?: string;
}

/** GSIs of the index table (stacks/api/index-table.ts declares them from here). */
export const INDEX_GSIS = {
  byRoute: { name: "by-route", partitionKey: "routeKey", sortKey: "sortAt" },
  byState: { name: "by-state", partitionKey: "stateKey", sortKey: "sortAt" },
  byDirection: { name: "by-direction", partitionKey: "dirKey", sortKey: "sortAt" },
} as const;
export const INDEX_TABLE_KEY = "pk";
/** The table's TTL attribute (epoch seconds): only Idempotency-Key items carry it, never a message. */
export const INDEX_TTL_ATTRIBUTE = "expiresAt";

export const routeKeyOf = (d: Direction, station: string, partner: string) => `${d}#${station}#${partner}`;
export const stateKeyOf = (d: Direction, state: PipelineState) => `${d}#${state}`;
/** Creation time first: lists are newest first and stay in place while a message changes state. */
export const sortAtOf = (createdAt: string, id: string) => `${createdAt}#${id}`;

/** The state a user sees. */
export function visibleState(item: Pick<IndexItem, "state" | "read" | "deletedAt">): MessageState {
  if (item.deletedAt) return "deleted";
  if (item.read && item.state === "received") return "read";
  return item.state;
}

export function isFinal(state: PipelineState): boolean {
  return STATE_RANK[state] >= STATE_RANK.sent;
}

/** `as2-<customer>-messages`: the stack names the table so, and the operator CLI finds it by this name. */
export const messageIndexTableName = (customer: string) => `as2-${customer}-messages`;

/** Environment variable naming the index table: set on the API Lambda and on the send and receive functions. */
export const INDEX_TABLE_ENV = "MESSAGE_INDEX_TABLE";
