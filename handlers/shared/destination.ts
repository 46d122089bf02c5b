/**
 * Picks the key a payload lands under without ever overwriting another file: each candidate key is
 * reserved in the ledger (`DEST#<key>`, conditional write) before anything is copied there, and a
 * key that already holds an object is skipped. A retry of the same owner finds its reservation and
 * gets the same key back. A reservation is a lease: once the object it was for is gone (a user
 * moved it away) and the lease has run out, the name can be used again.
 */
import type { S3Client } from "@aws-sdk/client-s3";
import { expiresIn, getItem, putIfAbsent, updateItem, type LedgerItem } from "./ledger";
import { headObject } from "./s3-object";

/** Far longer than the queue's retries of one message (receive count × visibility timeout). */
export const RESERVATION_LEASE_MS = 24 * 3600 * 1000;
export const MAX_CANDIDATES = 1000;

interface Reservation extends LedgerItem {
  readonly owner: string;
  readonly reservedAt: number;
}

export function destinationPk(key: string): string {
  return `DEST#${key}`;
}

/** Reserves `key` for `owner`; false when it belongs to someone else or already holds an object. */
export async function reserveKey(
  s3: S3Client,
  bucket: string,
  key: string,
  owner: string,
  now = Date.now(),
): Promise<boolean> {
  const pk = destinationPk(key);
  const current = await getItem<Reservation>(pk);
  if (current?.owner === owner) return true;
  if (current && now - current.reservedAt < RESERVATION_LEASE_MS) return false;
  if (await headObject(s3, bucket, key)) return false;
  if (!current) {
    if (await putIfAbsent({ pk, owner, reservedAt: now, expiresAt: expiresIn(2, now) })) return true;
    return (await getItem<Reservation>(pk))?.owner === owner;
  }
  return updateItem(
    pk,
    { owner, reservedAt: now, expiresAt: expiresIn(2, now) },
    { field: "owner", equals: current.owner },
  );
}

/**
 * The first candidate key (0, 1, 2, ...) that `owner` can have. `preferred`, when given, is tried
 * first: the key an earlier attempt of the same owner chose.
 */
export async function reserveDestination(
  s3: S3Client,
  bucket: string,
  candidate: (n: number) => string,
  owner: string,
  preferred?: string,
): Promise<string> {
  if (preferred !== undefined && (await reserveKey(s3, bucket, preferred, owner))) return preferred;
  let previous: string | undefined;
  for (let n = 0; n < MAX_CANDIDATES; n++) {
    const key = candidate(n);
    if (key === previous) break;
    previous = key;
    if (await reserveKey(s3, bucket, key, owner)) return key;
  }
  throw new Error(
    `no free destination for ${owner}: ${MAX_CANDIDATES} candidates starting at ${candidate(0)} are taken`,
  );
}
