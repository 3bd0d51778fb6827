import { createHash } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AwsClients } from '../../src/adapters/awsClients.ts';

/**
 * In-memory fakes of the AWS SDK clients (`send(command)`), for unit tests and the handler benchmark.
 * They behave like the services where the pipeline depends on it (ranged GET, If-Match, 416 on an empty
 * object, BatchWriteItem limits), count requests per command, and take injected faults.
 */

type Input = Record<string, unknown>;
interface Command {
  readonly input: Input;
}

/** A fault hook: return an error to throw it instead of running the command, or undefined to run it. */
export type FaultHook = (commandName: string, input: Input) => unknown;

/** An error shaped like the SDK's service exceptions. */
export const sdkError = (name: string, httpStatusCode: number, message = name, retryable = false): Error =>
  Object.assign(new Error(message), {
    name,
    $fault: httpStatusCode >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode },
    ...(retryable ? { $retryable: {} } : {}),
  });

const commandName = (command: Command): string => command.constructor.name;

const countInto = (counts: Map<string, number>, name: string) =>
  counts.set(name, (counts.get(name) ?? 0) + 1);

/** One stored object. `size` may exceed `body.length`: the rest reads as zero bytes (a "virtual" big object). */
export interface FakeObject {
  body: Uint8Array;
  size: number;
  contentType?: string;
  metadata: Record<string, string>;
  etag: string;
  tags: Record<string, string>;
}

const unquote = (etag: string) => etag.replace(/"/g, '');

/** The fake S3 client. */
export class FakeS3 {
  readonly buckets = new Map<string, Map<string, FakeObject>>();
  readonly requests = new Map<string, number>();
  /** Bytes handed out in GetObject bodies (what a reader actually consumed). */
  bytesServed = 0;
  fault: FaultHook | undefined;
  private readonly uploads = new Map<
    string,
    {
      bucket: string;
      key: string;
      contentType?: string;
      metadata: Record<string, string>;
      tags: Record<string, string>;
      parts: Map<number, { bucket: string; key: string; start: number; end: number }>;
    }
  >();
  private uploadCounter = 0;

  /** Store an object (creating the bucket) and return its ETag without quotes. */
  put(
    bucket: string,
    key: string,
    body: Uint8Array,
    options: { contentType?: string; metadata?: Record<string, string>; size?: number } = {},
  ): string {
    const etag = createHash('md5')
      .update(body)
      .update(String(options.size ?? body.length))
      .digest('hex');
    const objects = this.buckets.get(bucket) ?? new Map<string, FakeObject>();
    this.buckets.set(bucket, objects);
    objects.set(key, {
      body,
      size: options.size ?? body.length,
      ...(options.contentType ? { contentType: options.contentType } : {}),
      metadata: { ...(options.metadata ?? {}) },
      etag: `"${etag}"`,
      tags: {},
    });
    return etag;
  }

  get(bucket: string, key: string): FakeObject | undefined {
    return this.buckets.get(bucket)?.get(key);
  }

  count(name: string): number {
    return this.requests.get(name) ?? 0;
  }

  total(): number {
    return [...this.requests.values()].reduce((a, b) => a + b, 0);
  }

  private object(bucket: string, key: string, ifMatch: unknown): FakeObject {
    const found = this.get(bucket, key);
    if (!found) throw sdkError('NoSuchKey', 404, 'The specified key does not exist.');
    if (typeof ifMatch === 'string' && unquote(ifMatch) !== unquote(found.etag))
      throw sdkError(
        'PreconditionFailed',
        412,
        'At least one of the pre-conditions you specified did not hold',
      );
    return found;
  }

  private bodyStream(object: FakeObject, start: number, end: number) {
    const self = this;
    let destroyed = false;
    return {
      async *[Symbol.asyncIterator]() {
        const chunk = 64 * 1024;
        for (let at = start; at <= end && !destroyed; at += chunk) {
          const stop = Math.min(end + 1, at + chunk);
          const piece = new Uint8Array(stop - at);
          if (at < object.body.length)
            piece.set(object.body.subarray(at, Math.min(stop, object.body.length)));
          self.bytesServed += piece.length;
          yield piece;
        }
      },
      destroy() {
        destroyed = true;
      },
    };
  }

  private parseCopySource(source: string): { bucket: string; key: string } {
    const [path = ''] = source.split('?');
    const slash = path.indexOf('/');
    return {
      bucket: path.slice(0, slash),
      key: path
        .slice(slash + 1)
        .split('/')
        .map(decodeURIComponent)
        .join('/'),
    };
  }

  async send(command: Command): Promise<unknown> {
    const name = commandName(command);
    const input = command.input;
    countInto(this.requests, name);
    const injected = this.fault?.(name, input);
    if (injected) throw injected;
    const bucket = String(input.Bucket);
    const key = String(input.Key);
    switch (name) {
      case 'GetObjectCommand': {
        const object = this.object(bucket, key, input.IfMatch);
        let start = 0;
        let end = object.size - 1;
        const range = typeof input.Range === 'string' ? input.Range.match(/^bytes=(\d*)-(\d*)$/) : null;
        if (range && range[1] === '') {
          // Suffix range: the last N bytes, or the whole object when it is shorter.
          if (object.size === 0)
            throw sdkError('InvalidRange', 416, 'The requested range is not satisfiable');
          start = Math.max(0, object.size - Number(range[2]));
        } else if (range) {
          start = Number(range[1]);
          if (start >= object.size)
            throw sdkError('InvalidRange', 416, 'The requested range is not satisfiable');
          end = range[2] ? Math.min(Number(range[2]), object.size - 1) : object.size - 1;
        }
        return {
          Body: this.bodyStream(object, start, end),
          ContentLength: end - start + 1,
          ...(range ? { ContentRange: `bytes ${start}-${end}/${object.size}` } : {}),
          ContentType: object.contentType,
          Metadata: { ...object.metadata },
          ETag: object.etag,
        };
      }
      case 'HeadObjectCommand': {
        const found = this.get(bucket, key);
        if (!found) throw sdkError('NotFound', 404, 'Not Found');
        const object = this.object(bucket, key, input.IfMatch);
        return {
          ContentLength: object.size,
          ContentType: object.contentType,
          Metadata: { ...object.metadata },
          ETag: object.etag,
        };
      }
      case 'CopyObjectCommand': {
        const from = this.parseCopySource(String(input.CopySource));
        const source = this.object(from.bucket, from.key, input.CopySourceIfMatch);
        if (source.size > 5 * 1024 ** 3)
          throw sdkError(
            'InvalidRequest',
            400,
            'The specified copy source is larger than the maximum allowable size',
          );
        const replace = input.MetadataDirective === 'REPLACE';
        const target: FakeObject = {
          body: source.body,
          size: source.size,
          ...((replace ? input.ContentType : source.contentType)
            ? { contentType: String(replace ? input.ContentType : source.contentType) }
            : {}),
          metadata: replace ? { ...(input.Metadata as Record<string, string>) } : { ...source.metadata },
          etag: source.etag,
          tags:
            input.TaggingDirective === 'REPLACE'
              ? Object.fromEntries(new URLSearchParams(String(input.Tagging ?? '')))
              : { ...source.tags },
        };
        const objects = this.buckets.get(bucket) ?? new Map<string, FakeObject>();
        this.buckets.set(bucket, objects);
        objects.set(key, target);
        return { CopyObjectResult: { ETag: target.etag } };
      }
      case 'DeleteObjectCommand': {
        if (input.IfMatch !== undefined) this.object(bucket, key, input.IfMatch);
        this.buckets.get(bucket)?.delete(key);
        return {};
      }
      case 'CreateMultipartUploadCommand': {
        this.uploadCounter += 1;
        const uploadId = `upload-${this.uploadCounter}`;
        this.uploads.set(uploadId, {
          bucket,
          key,
          ...(input.ContentType ? { contentType: String(input.ContentType) } : {}),
          metadata: { ...(input.Metadata as Record<string, string>) },
          tags: Object.fromEntries(new URLSearchParams(String(input.Tagging ?? ''))),
          parts: new Map(),
        });
        return { UploadId: uploadId };
      }
      case 'UploadPartCopyCommand': {
        const upload = this.uploads.get(String(input.UploadId));
        if (!upload) throw sdkError('NoSuchUpload', 404);
        const from = this.parseCopySource(String(input.CopySource));
        this.object(from.bucket, from.key, input.CopySourceIfMatch);
        const range = String(input.CopySourceRange).match(/^bytes=(\d+)-(\d+)$/);
        if (!range) throw sdkError('InvalidArgument', 400, 'bad CopySourceRange');
        const start = Number(range[1]);
        const end = Number(range[2]);
        if (end - start + 1 > 5 * 1024 ** 3) throw sdkError('EntityTooLarge', 400);
        upload.parts.set(Number(input.PartNumber), { ...from, start, end });
        return { CopyPartResult: { ETag: `"part-${input.PartNumber}"` } };
      }
      case 'CompleteMultipartUploadCommand': {
        const upload = this.uploads.get(String(input.UploadId));
        if (!upload) throw sdkError('NoSuchUpload', 404);
        const numbers = [...upload.parts.keys()].sort((a, b) => a - b);
        let next = 0;
        for (const [i, n] of numbers.entries()) {
          const part = upload.parts.get(n);
          if (n !== i + 1 || !part || part.start !== next)
            throw sdkError('InvalidPart', 400, 'parts do not line up');
          next = part.end + 1;
        }
        const first = upload.parts.get(1);
        const source = first ? this.get(first.bucket, first.key) : undefined;
        if (!source || next !== source.size)
          throw sdkError('InvalidPart', 400, 'parts do not cover the source');
        const objects = this.buckets.get(upload.bucket) ?? new Map<string, FakeObject>();
        this.buckets.set(upload.bucket, objects);
        objects.set(upload.key, {
          body: source.body,
          size: source.size,
          ...(upload.contentType ? { contentType: upload.contentType } : {}),
          metadata: upload.metadata,
          etag: `"multipart-${numbers.length}"`,
          tags: upload.tags,
        });
        this.uploads.delete(String(input.UploadId));
        return { ETag: `"multipart-${numbers.length}"` };
      }
      case 'AbortMultipartUploadCommand':
        this.uploads.delete(String(input.UploadId));
        return {};
      default:
        throw new Error(`FakeS3 does not implement ${name}`);
    }
  }

  /** Multipart uploads started and neither completed nor aborted. */
  openUploads(): number {
    return this.uploads.size;
  }
}

type Item = Record<string, unknown> & { pk: string; sk: string };
const identity = (item: { pk: string; sk: string }) => `${item.pk}\u0000${item.sk}`;

/** The fake DynamoDB document client. */
export class FakeDynamo {
  readonly tables = new Map<string, Map<string, Item>>();
  readonly requests = new Map<string, number>();
  fault: FaultHook | undefined;
  /** Return the items of a BatchWriteItem call the "service" leaves unprocessed (default: none). */
  unprocessed: ((items: Item[]) => Item[]) | undefined;

  items(table: string): Item[] {
    return [...(this.tables.get(table)?.values() ?? [])];
  }

  count(name: string): number {
    return this.requests.get(name) ?? 0;
  }

  private table(name: string): Map<string, Item> {
    const table = this.tables.get(name) ?? new Map<string, Item>();
    this.tables.set(name, table);
    return table;
  }

  async send(command: Command): Promise<unknown> {
    const name = commandName(command);
    const input = command.input;
    countInto(this.requests, name);
    const injected = this.fault?.(name, input);
    if (injected) throw injected;
    switch (name) {
      case 'BatchWriteCommand': {
        const requestItems = input.RequestItems as Record<string, { PutRequest?: { Item: Item } }[]>;
        const unprocessed: Record<string, { PutRequest: { Item: Item } }[]> = {};
        for (const [tableName, requests] of Object.entries(requestItems)) {
          // The service rules the pipeline must respect: ≤25 requests, no key twice in one call.
          if (requests.length > 25) throw sdkError('ValidationException', 400, 'Too many items requested');
          const items = requests.map((r) => structuredClone(r.PutRequest?.Item) as Item);
          if (new Set(items.map(identity)).size !== items.length)
            throw sdkError('ValidationException', 400, 'Provided list of item keys contains duplicates');
          const left = new Set((this.unprocessed?.(items) ?? []).map(identity));
          for (const item of items) {
            if (left.has(identity(item))) {
              unprocessed[tableName] = [...(unprocessed[tableName] ?? []), { PutRequest: { Item: item } }];
            } else this.table(tableName).set(identity(item), item);
          }
        }
        return { UnprocessedItems: unprocessed };
      }
      case 'PutCommand': {
        const item = structuredClone(input.Item) as Item;
        this.table(String(input.TableName)).set(identity(item), item);
        return {};
      }
      case 'QueryCommand': {
        const values = input.ExpressionAttributeValues as Record<string, unknown>;
        const pk = values[':pk'];
        const items = this.items(String(input.TableName))
          .filter((i) => i.pk === pk)
          .sort((a, b) => a.sk.localeCompare(b.sk));
        return { Items: items };
      }
      default:
        throw new Error(`FakeDynamo does not implement ${name}`);
    }
  }
}

/** The fake SNS client: keeps what was published. */
export class FakeSns {
  readonly published: Input[] = [];
  fault: FaultHook | undefined;
  async send(command: Command): Promise<unknown> {
    const name = commandName(command);
    const injected = this.fault?.(name, command.input);
    if (injected) throw injected;
    if (name !== 'PublishCommand') throw new Error(`FakeSns does not implement ${name}`);
    this.published.push(command.input);
    return { MessageId: `sns-${this.published.length}` };
  }
}

/** The fake SQS client: keeps what was sent. */
export class FakeSqs {
  readonly sent: Input[] = [];
  fault: FaultHook | undefined;
  async send(command: Command): Promise<unknown> {
    const name = commandName(command);
    const injected = this.fault?.(name, command.input);
    if (injected) throw injected;
    if (name !== 'SendMessageCommand') throw new Error(`FakeSqs does not implement ${name}`);
    this.sent.push(command.input);
    return { MessageId: `sqs-${this.sent.length}` };
  }
}

/** A set of fake clients, plus the `AwsClients` view of them to inject into the handler. */
export interface FakeAws {
  readonly s3: FakeS3;
  readonly dynamo: FakeDynamo;
  readonly sns: FakeSns;
  readonly sqs: FakeSqs;
  readonly clients: AwsClients;
}

/** Fresh fake clients. */
export const createFakeAws = (): FakeAws => {
  const s3 = new FakeS3();
  const dynamo = new FakeDynamo();
  const sns = new FakeSns();
  const sqs = new FakeSqs();
  return {
    s3,
    dynamo,
    sns,
    sqs,
    clients: {
      s3: s3 as unknown as S3Client,
      dynamo: dynamo as unknown as DynamoDBDocumentClient,
      sns: sns as unknown as SNSClient,
      sqs: sqs as unknown as SQSClient,
      region: 'us-east-1',
    },
  };
};
