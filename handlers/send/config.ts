/** The send pipeline's configuration: every resource from the environment the stack synthesizes. */
import { requireEnv } from "../shared/env";

export interface SendConfig {
  /** The customer's bucket (uploads, staging, outbox/failed). */
  readonly bucket: string;
  /** The send queue: S3 events, delayed re-checks, continuations and retries. */
  readonly sendQueueUrl: string;
  /** The customer's bus for MESSAGE.SEND.* domain events. */
  readonly eventBus: string;
}

export function sendConfig(): SendConfig {
  return {
    bucket: requireEnv("BUCKET"),
    sendQueueUrl: requireEnv("SEND_QUEUE_URL"),
    eventBus: requireEnv("EVENT_BUS_NAME"),
  };
}
