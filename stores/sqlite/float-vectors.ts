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

  /** Writes the file in slices of about 4 MB: at 1M × 384 one buffer of it all would be 1.5 GB more. */
  save(file: string): void {
    const count = this.byKey.size;
    const header = Buffer.alloc(HEADER_BYTES);
    header.writeUInt32LE(MAGIC, 0);
    header.writeUInt32LE(VERSION, 4);
    header.writeUInt32LE(this.dimension, 8);
    header.writeUInt32LE(count, 12);
    const keys = BigUint64Array.from(this.byKey.keys());
    const perSlice = Math.max(1, Math.floor(SLICE_BYTES / (this.dimension * 4)));
    const slice = new Float32Array(perSlice * this.dimension);
    const fd = openSync(file, 'w');
    try {
      writeAll(fd, header);
      writeAll(fd, new Uint8Array(keys.buffer));
      let filled = 0;
      const flush = () => {
        writeAll(fd, new Uint8Array(slice.buffer, 0, filled * this.dimension * 4));
        filled = 0;
      };
      // The same order as the keys: nothing changes the map while this runs.
      for (const vector of this.byKey.values()) {
        slice.set(vector, filled * this.dimension);
        if (++filled === perSlice) flush();
      }
      if (filled > 0) flush();
    } finally {
      closeSync(fd);
    }
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

function writeAll(fd: number, bytes: Uint8Array): void {
  for (let written = 0; written < bytes.length;) written += writeSync(fd, bytes, written);
}
