/** Hand-made vectors and a retry helper shared by the store contract suites. */

/** Dimension of the contract suites' embedder. */
export const DIMENSION = 8;

/** A unit vector from raw components (padded with zeros to DIMENSION). */
export function unit(...components: number[]): Float32Array {
  const vector = new Float32Array(DIMENSION);
  components.forEach((value, index) => { vector[index] = value; });
  const norm = Math.hypot(...vector);
  return vector.map((value) => value / norm);
}

export function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  for (let i = 0; i < a.length; i++) dot += a[i]! * b[i]!;
  return dot / (Math.hypot(...a) * Math.hypot(...b));
}

/** Retries `check` until it stops throwing (for eventually consistent vector indexes), up to 15 s. */
export async function eventually<T>(check: () => Promise<T>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
