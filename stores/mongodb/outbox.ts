/**
 * The MongoDB side of the transactional outbox: an `outbox` collection whose documents are
 * inserted in the job's transaction, leased by a relay with findOneAndUpdate (so two relays
 * never hold one message), and deleted once the broker confirmed them.
 */
import { Binary, MongoServerError, ObjectId, type ClientSession, type Collection, type Db } from 'mongodb';
import type { OutboxEntry, OutboxMessage } from '../store.ts';

export interface OutboxDocument {
  _id: ObjectId;
  jobId: string;
  exchange: string;
  routingKey: string;
  content: Binary;
  options: Record<string, unknown>;
  priority: number;
  /** The lease: claimable when in the past. */
  claimedUntil: Date;
}

export class MongoOutbox {
  constructor(private readonly collection: Collection<OutboxDocument>) {}

  static async open(db: Db): Promise<MongoOutbox> {
    try {
      await db.createCollection('outbox');
    } catch (error) {
      if (!(error instanceof MongoServerError && error.code === 48)) throw error; // NamespaceExists
    }
    const collection = db.collection<OutboxDocument>('outbox');
    await collection.createIndex({ priority: -1, _id: 1 });
    return new MongoOutbox(collection);
  }

  async insert(jobId: string, message: OutboxMessage, session?: ClientSession): Promise<void> {
    await this.collection.insertOne({
      _id: new ObjectId(),
      jobId,
      exchange: message.exchange,
      routingKey: message.routingKey,
      content: new Binary(message.content),
      options: { ...message.options },
      priority: message.priority,
      claimedUntil: new Date(0),
    }, { session });
  }

  /** One findOneAndUpdate per message: each lease is atomic, whatever other relays do meanwhile. */
  async claim(limit: number, leaseMs: number): Promise<OutboxEntry[]> {
    const entries: OutboxEntry[] = [];
    while (entries.length < limit) {
      const now = new Date();
      const doc = await this.collection.findOneAndUpdate(
        { claimedUntil: { $lte: now } },
        { $set: { claimedUntil: new Date(now.getTime() + leaseMs) } },
        { sort: { priority: -1, _id: 1 }, returnDocument: 'after' },
      );
      if (!doc) break;
      entries.push({
        id: doc._id.toHexString(),
        jobId: doc.jobId,
        exchange: doc.exchange,
        routingKey: doc.routingKey,
        content: Buffer.from(doc.content.buffer),
        options: doc.options,
        priority: doc.priority,
      });
    }
    return entries;
  }

  async complete(ids: readonly string[]): Promise<void> {
    if (ids.length > 0) await this.collection.deleteMany({ _id: { $in: ids.map((id) => new ObjectId(id)) } });
  }

  count(): Promise<number> {
    return this.collection.countDocuments();
  }
}
