import type { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, ProjectionType, Table } from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { TABLE_SCHEMA } from '../../src/config/settings.ts';

/** Props of {@link MetadataTable}. */
export interface MetadataTableProps {
  /** What happens to the table when the stack is deleted. */
  readonly removalPolicy: RemovalPolicy;
  /** Refuse `DeleteTable` until it is switched off. @default true */
  readonly deletionProtection?: boolean;
}

/**
 * The file metadata table, built from the shared {@link TABLE_SCHEMA} (the local provisioner uses the same
 * one): on-demand capacity, so a spike never meets a provisioned ceiling; point-in-time recovery; and the
 * sparse byStatus index (only QUARANTINED and GONE uploads land in it, so the bulk of the files pays no
 * index write; "newest first" reads per-batch manifest items on the table instead). Data is encrypted at
 * rest with the AWS-owned key (no KMS charges). The index projects every attribute: its items are rare, so
 * a full projection costs little and listing quarantines needs no second read.
 */
export class MetadataTable extends Construct {
  /** The table. */
  public readonly table: Table;

  constructor(scope: Construct, id: string, props: MetadataTableProps) {
    super(scope, id);
    this.table = new Table(this, 'Table', {
      partitionKey: { name: TABLE_SCHEMA.partitionKey, type: AttributeType.STRING },
      sortKey: { name: TABLE_SCHEMA.sortKey, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: props.deletionProtection ?? true,
      removalPolicy: props.removalPolicy,
    });
    for (const index of Object.values(TABLE_SCHEMA.indexes)) {
      this.table.addGlobalSecondaryIndex({
        indexName: index.name,
        partitionKey: { name: index.partitionKey, type: AttributeType.STRING },
        sortKey: { name: index.sortKey, type: AttributeType.STRING },
        projectionType: ProjectionType[index.projection],
      });
    }
  }
}
