/**
 * The message index: one ledger item per received AS2 message (`MSG#<agreement>#<as2MessageId>`).
 * It makes each message land in inbox/ once, remembers where it went (for the MDN events, which
 * may come before or after the payload event) and what the record says. Items change only through
 * conditional writes, so two invocations can never both route the same message.
 */
import { UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import {
  conditionally,
  expiresIn,
  getItem,
  putIfAbsent,
  tableClient,
  tableName,
  type LedgerItem,
} from "../shared/ledger";
import { toAttributes } from "../shared/attribute-values";

/** Long enough to recognise a partner's resend of an old message. */
export const MESSAGE_INDEX_DAYS = 400;

export type MessageState =
  /** Only MDN information has arrived so far. */
  | "pending"
  /** An invocation is moving the payload (occurrence says which delivery). */
  | "routing"
  | "received"
  | "failed";

export interface MdnInfo {
  readonly status: "sent" | "failed";
  readonly type?: string;
  readonly messageId?: string;
  readonly subject?: string;
  readonly disposition?: string;
  readonly failureCode?: string;
  readonly failureMessage?: string;
  readonly at?: string;
  /** Where Transfer wrote the MDN (agreement base directory). */
  readonly sourceKey?: string;
}

/** What the index knows about one message; the JSON record beside the payload is rendered from it. */
export interface MessageItem extends LedgerItem {
  readonly pk: string;
  readonly state: MessageState;
  readonly agreementId: string;
  readonly as2MessageId: string;
  /** Which delivery of the message the state refers to (a partner may resend the same id). */
  readonly occurrence?: string;
  readonly station?: string;
  readonly partner?: string;
  readonly test?: boolean;
  readonly serverId?: string;
  readonly as2From?: string;
  readonly as2To?: string;
  readonly subject?: string;
  readonly clientIp?: string;
  readonly requesterFileName?: string;
  readonly fileName?: string;
  readonly startTimestamp?: string;
  readonly endTimestamp?: string;
  readonly statusCode?: string;
  readonly disposition?: string;
  readonly failureCode?: string;
  readonly failureMessage?: string;
  readonly bytes?: number;
  readonly sourceKey?: string;
  readonly sourceEtag?: string;
  readonly sourceChecksum?: string;
  readonly sourceSse?: string;
  readonly size?: number;
  /** Payload key in inbox/ or failed/ once chosen. */
  readonly dest?: string;
  readonly mdn?: MdnInfo;
  /** Key of the MDN beside the payload, once moved there. */
  readonly mdnDest?: string;
  readonly duplicateReported?: boolean;
  readonly expiresAt?: number;
}

export function messagePk(agreementId: string, as2MessageId: string): string {
  return `MSG#${agreementId}#${as2MessageId}`;
}

export async function getMessage(pk: string): Promise<MessageItem | undefined> {
  return getItem<MessageItem>(pk);
}

export async function createMessage(item: Omit<MessageItem, "expiresAt">): Promise<boolean> {
  return putIfAbsent({ ...(stripUndefined(item) as LedgerItem), expiresAt: expiresIn(MESSAGE_INDEX_DAYS) });
}

/**
 * Sets fields when every condition holds (`field = value`, or `field` absent for `undefined`).
 * Returns false when a condition did not hold: someone else changed the item first.
 */
export async function updateMessage(
  pk: string,
  set: Partial<MessageItem>,
  when: Record<string, unknown>,
): Promise<boolean> {
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const sets: string[] = [];
  const removes: string[] = [];
  Object.entries(set).forEach(([k, v], i) => {
    names[`#s${i}`] = k;
    if (v === undefined) removes.push(`#s${i}`);
    else {
      values[`:s${i}`] = v;
      sets.push(`#s${i} = :s${i}`);
    }
  });
  const conditions = ["attribute_exists(pk)"];
  Object.entries(when).forEach(([k, v], i) => {
    names[`#c${i}`] = k;
    if (v === undefined) conditions.push(`attribute_not_exists(#c${i})`);
    else {
      values[`:c${i}`] = v;
      conditions.push(`#c${i} = :c${i}`);
    }
  });
  const expression = [sets.length ? `SET ${sets.join(", ")}` : "", removes.length ? `REMOVE ${removes.join(", ")}` : ""]
    .filter(Boolean)
    .join(" ");
  return conditionally(() =>
    tableClient().send(
      new UpdateItemCommand({
        TableName: tableName(),
        Key: { pk: { S: pk } },
        UpdateExpression: expression,
        ConditionExpression: conditions.join(" AND "),
        ExpressionAttributeNames: names,
        ...(Object.keys(values).length ? { ExpressionAttributeValues: toAttributes(values) } : {}),
      }),
    ),
  );
}

export function stripUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
