import type { Stack } from 'aws-cdk-lib';
import { ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import {
  type BucketNotificationDestinationConfig,
  BucketNotificationDestinationType,
  type IBucketNotificationDestination,
  type IBucketRef,
} from 'aws-cdk-lib/aws-s3';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

/**
 * An SQS destination for S3 event notifications whose queue-policy grant names both the bucket
 * (`aws:SourceArn`) and this account (`aws:SourceAccount`). CDK's `SqsDestination` pins only the bucket
 * ARN, and a bucket name is global: were the bucket ever deleted, a bucket of that name in another
 * account could send to the queue (confused deputy; AWS's example policy pins both:
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/ways-to-add-notification-config-to-bucket.html).
 * The queue must use SSE-SQS or no encryption (the pipeline's queues do): no key policy is written.
 */
export class AccountPinnedQueueDestination implements IBucketNotificationDestination {
  constructor(
    private readonly queue: IQueue,
    private readonly stack: Stack,
  ) {}

  /** Adds the grant and returns the notification target. */
  public bind(_scope: Construct, bucket: IBucketRef): BucketNotificationDestinationConfig {
    this.queue.grantSendMessages(
      new ServicePrincipal('s3.amazonaws.com', {
        conditions: {
          ArnLike: { 'aws:SourceArn': bucket.bucketRef.bucketArn },
          StringEquals: { 'aws:SourceAccount': this.stack.account },
        },
      }),
    );
    return {
      arn: this.queue.queueArn,
      type: BucketNotificationDestinationType.QUEUE,
      dependencies: [this.queue],
    };
  }
}
