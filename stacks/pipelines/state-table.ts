/** The gateway's DynamoDB table: claims and the message index (see handlers/shared/ledger.ts). */
import { Construct } from "constructs";
import { DynamodbTable } from "@cdktf/provider-aws/lib/dynamodb-table";
import { OPEN_WORK_INDEX } from "../../model/open-work";

export interface StateTableProps {
  readonly customerName: string;
  readonly kmsKeyArn: string;
}

/** Key schema shared with the handlers and the test harness. */
export const STATE_TABLE_KEY = { partitionKey: "pk", ttlAttribute: "expiresAt" } as const;

export { OPEN_WORK_INDEX } from "../../model/open-work";

export class StateTable extends Construct {
  readonly table: DynamodbTable;

  constructor(scope: Construct, id: string, props: StateTableProps) {
    super(scope, id);
    this.table = new DynamodbTable(this, "table", {
      name: `as2-${props.customerName}-state`,
      billingMode: "PAY_PER_REQUEST",
      hashKey: STATE_TABLE_KEY.partitionKey,
      attribute: [
        { name: STATE_TABLE_KEY.partitionKey, type: "S" },
        { name: OPEN_WORK_INDEX.partitionKey, type: "S" },
        { name: OPEN_WORK_INDEX.sortKey, type: "S" },
      ],
      globalSecondaryIndex: [
        {
          name: OPEN_WORK_INDEX.name,
          hashKey: OPEN_WORK_INDEX.partitionKey,
          rangeKey: OPEN_WORK_INDEX.sortKey,
          projectionType: "ALL",
        },
      ],
      ttl: { attributeName: STATE_TABLE_KEY.ttlAttribute, enabled: true },
      pointInTimeRecovery: { enabled: true },
      serverSideEncryption: { enabled: true, kmsKeyArn: props.kmsKeyArn },
      deletionProtectionEnabled: true,
    });
  }
}
