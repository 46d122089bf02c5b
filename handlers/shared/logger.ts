import { Logger } from "@aws-lambda-powertools/logger";

/** Structured JSON logs. Never log payloads or key material: keys, ids and sizes only. */
export const logger = new Logger({ serviceName: "as2-transfer-gateway" });
