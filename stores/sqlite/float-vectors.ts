/**
 * The float32 vectors of one collection's approximate index, by chunk rowid, kept beside its int8
 * graph (ann-index.ts): the graph finds candidates cheaply, and these score them exactly, so a
 * search reads no stored vector back from SQLite (one vec0 point read costs ~0.2 ms). Saved and
 * loaded with the graph: a file of a small header, the keys, then the vectors.
 */
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';

/** "RAGV" and the format's version, so a file of another layout is rebuilt rather than misread. */
const MAGIC = 0x52414756;
const VERSION = 1;
const HEADER_BYTES = 16;
const SLICE_BYTES = 4 << 20;

export class FloatVectors {
  private readonly byKey = new Map<bigint, Float32Array>();

  constructor(readonly dimension: number) {}

  get size(): number {
    return this.byKey.size;
  }

  get(key: bigint): Float32Array | undefined {
    return this.byKey.get(key);
  }

  /** Keeps `vector` itself (not a copy): the caller hands over a vector of its own. */
  set(key: bigint, vector: Float32Array): void {
    if (vector.length !== this.dimension) throw new Error(`vector has ${vector.length} dimensions, the index ${this.dimension}`);
    this.byKey.set(key, vector);
  }

  delete(key: bigint): void {
    this.byKey.delete(key);
  }

  /** Every key with its vector (a scan loaded from a file makes its codes from these). */
  entries(): IterableIterator<[bigint, Float32Array]> {
    return this.byKey.entries();
  }

  /** Writes the file at once (see startSave). */
  save(file: string): void {
    const write = this.startSave(file);
    try {
      while (!write.step(Math.max(1, Math.floor(SLICE_BYTES / (this.dimension * 4)))));
    } finally {
      write.abandon();
    }
  }

  /**
   * Starts writing the vectors held now to `file`, header and keys at once, the vectors a step at
   * a time (FloatVectorsWrite.step): at 1M × 384 they are 1.5 GB, which a search thread should not
   * wait for in one go. Changes made meanwhile are not in the file.
   */
  startSave(file: string): FloatVectorsWrite {
    const header = Buffer.alloc(HEADER_BYTES);
    header.writeUInt32LE(MAGIC, 0);
    header.writeUInt32LE(VERSION, 4);
    header.writeUInt32LE(this.dimension, 8);
    header.writeUInt32LE(this.byKey.size, 12);
    const keys = BigUint64Array.from(this.byKey.keys());
    // The same order as the keys; each vector is kept as it is (set replaces, never mutates one).
    const vectors = [...this.byKey.values()];
    const fd = openSync(file, 'w');
    try {
      writeAll(fd, header);
      writeAll(fd, new Uint8Array(keys.buffer));
    } catch (error) {
      closeSync(fd);
      throw error;
    }
    return new FloatVectorsWrite(fd, vectors, this.dimension);
  }

  /**
   * The vectors a file holds, or null when it is not one of this dimension. The loaded vectors are
   * views of the file's one buffer: replacing one leaves its old bytes there until the next load.
   */
  static load(file: string, dimension: number): FloatVectors | null {
    const read = readFileSync(file);
    // The views below need offsets that are multiples of 8: a file this size is read into a
    // buffer of its own (offset 0), but a small one may come from Node's shared pool.
    const bytes = read.byteOffset % 8 === 0 ? new Uint8Array(read.buffer, read.byteOffset, read.length) : Uint8Array.from(read);
    const header = new DataView(bytes.buffer, bytes.byteOffset, Math.min(bytes.length, HEADER_BYTES));
    if (bytes.length < HEADER_BYTES || header.getUint32(0, true) !== MAGIC || header.getUint32(4, true) !== VERSION
      || header.getUint32(8, true) !== dimension) return null;
    const count = header.getUint32(12, true);
    if (bytes.length !== HEADER_BYTES + count * 8 + count * dimension * 4) return null;
    const start = bytes.byteOffset + HEADER_BYTES;
    const keys = new BigUint64Array(bytes.buffer, start, count);
    const loaded = new FloatVectors(dimension);
    for (let i = 0; i < count; i++) {
      loaded.byKey.set(keys[i]!, new Float32Array(bytes.buffer, start + count * 8 + i * dimension * 4, dimension));
    }
    return loaded;
  }
}

/** A vectors file being written a step at a time (FloatVectors.startSave). */
export class FloatVectorsWrite {
  private next = 0;
  private open = true;
  /** One step's vectors, copied side by side for one write; reused by every step. */
  private buffer = new Float32Array(0);

  constructor(private readonly fd: number, private readonly vectors: readonly Float32Array[], private readonly dimension: number) {}

  /** How many vectors are left to write. */
  get left(): number {
    return this.vectors.length - this.next;
  }

  /** Writes up to `count` more vectors in one write; true once every vector is written and the file closed. */
  step(count: number): boolean {
    if (!this.open) {
      if (this.left === 0) return true;
      throw new Error('the vectors file was closed before it was written whole');
    }
    const take = Math.min(count, this.vectors.length - this.next);
    if (this.buffer.length < take * this.dimension) this.buffer = new Float32Array(take * this.dimension);
    for (let i = 0; i < take; i++) this.buffer.set(this.vectors[this.next + i]!, i * this.dimension);
    writeAll(this.fd, new Uint8Array(this.buffer.buffer, 0, take * this.dimension * 4));
    this.next += take;
    if (this.next < this.vectors.length) return false;
    this.abandon();
    return true;
  }

  /** Closes the file, written whole or not (a file not written whole is the caller's to remove). */
  abandon(): void {
    if (!this.open) return;
    this.open = false;
    this.buffer = new Float32Array(0);
    closeSync(this.fd);
  }
}

function writeAll(fd: number, bytes: Uint8Array): void {
  for (let written = 0; written < bytes.length;) written += writeSync(fd, bytes, written);
}
