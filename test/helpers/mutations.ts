/** Byte-level mutations for property tests (decoder and live-session fuzzing share them). */
import fc from 'fast-check';

/** Bytes biased towards the framing alphabet, so random input reaches every decoder state. */
export const byteArb = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 255 }) },
  { weight: 2, arbitrary: fc.constantFrom(0x02, 0x03, 0x09, 0x3a, 0x00) },
  { weight: 3, arbitrary: fc.integer({ min: 0x30, max: 0x39 }) },
);

export type Mutation =
  | { readonly kind: 'flip'; readonly at: number; readonly xor: number }
  | { readonly kind: 'truncate'; readonly at: number }
  | { readonly kind: 'insert'; readonly at: number; readonly byte: number }
  | { readonly kind: 'delete'; readonly at: number }
  | { readonly kind: 'repeat'; readonly at: number; readonly length: number };

export const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({
    kind: fc.constant('flip' as const),
    at: fc.nat(),
    xor: fc.integer({ min: 1, max: 255 }),
  }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), byte: byteArb }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('repeat' as const),
    at: fc.nat(),
    length: fc.integer({ min: 1, max: 40 }),
  }),
);

/** `buf` with the mutations applied in order (positions taken modulo the current length). */
export function mutate(buf: Buffer, mutations: readonly Mutation[]): Buffer {
  let b = Buffer.from(buf);
  for (const m of mutations) {
    if (b.length === 0) break;
    const at = m.at % b.length;
    switch (m.kind) {
      case 'flip':
        b[at] = (b[at] ?? 0) ^ m.xor;
        break;
      case 'truncate':
        b = b.subarray(0, at);
        break;
      case 'insert':
        b = Buffer.concat([b.subarray(0, at), Uint8Array.of(m.byte), b.subarray(at)]);
        break;
      case 'delete':
        b = Buffer.concat([b.subarray(0, at), b.subarray(at + 1)]);
        break;
      case 'repeat':
        b = Buffer.concat([b.subarray(0, at + m.length), b.subarray(at)]);
        break;
    }
  }
  return b;
}
