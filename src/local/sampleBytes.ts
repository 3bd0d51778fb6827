/**
 * Byte helpers of the sample generators (`samples.ts`, `policySamples.ts`): one copy, so both build
 * files from the same pieces.
 */
export const sampleBytes = {
  /** UTF-8 bytes of a string (the samples' text parts are ASCII). */
  ascii: (text: string): Uint8Array => new TextEncoder().encode(text),
  /** The parts one after another. */
  concat: (...parts: Uint8Array[]): Uint8Array => {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let offset = 0;
    for (const part of parts) {
      out.set(part, offset);
      offset += part.length;
    }
    return out;
  },
  u16le: (n: number): Uint8Array => Uint8Array.of(n & 0xff, (n >>> 8) & 0xff),
  u32le: (n: number): Uint8Array =>
    Uint8Array.of(n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff),
  u32be: (n: number): Uint8Array =>
    Uint8Array.of((n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff),
} as const;
