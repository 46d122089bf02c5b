/**
 * A transaction table (issue 16): one item per transaction id, written only by the workflow's
 * conditional PutItem; the by-partner index answers "this partner's transactions between t1 and t2".
 */
import { Construct } from "constructs";
import { DynamodbTable } from "@cdktf/provider-aws/lib/dynamodb-table";
import { TRANSACTION_TABLE_KEY as K } from "../../model/pipeline-document";

export interface TransactionTableProps {
  /** Physical name (`as2-<customer>-<table>`). */
  readonly tableName: string;
  readonly kmsKeyArn: string;
}

export class TransactionTable extends Construct {
  readonly table: DynamodbTable;

  constructor(scope: Construct, id: string, props: TransactionTableProps) {
    super(scope, id);
    // The same hardening as the state table (on demand, KMS, point-in-time recovery): declared, not shared logic.
    this.table = new DynamodbTable(this, "table", {
      name: props.tableName,
      billingMode: "PAY_PER_REQUEST",
      hashKey: K.partitionKey,
      attribute: [
        { name: K.partitionKey, type: "S" },
        { name: K.partnerKey, type: "S" },
        { name: K.timeKey, type: "S" },
      ],
      globalSecondaryIndex: [
        { name: K.byPartnerIndex, hashKey: K.partnerKey, rangeKey: K.timeKey, projectionType: "ALL" },
      ],
      pointInTimeRecovery: { enabled: true },
      serverSideEncryption: { enabled: true, kmsKeyArn: props.kmsKeyArn },
      deletionProtectionEnabled: true,
    });
  }
}
