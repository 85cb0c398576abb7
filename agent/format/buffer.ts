/**
 * The growable byte buffer that formatted journal lines are appended to.
 *
 * @module
 */

/** Capacity above which {@link OutputBuffer.reset} gives memory back: 4 MiB. */
export const SHRINK_ABOVE = 4 << 20;

/**
 * A growable byte buffer that formatted lines are appended to.
 *
 * Formatters write into {@link OutputBuffer.buffer} directly: they call
 * {@link OutputBuffer.reserve} with an upper bound of what they will write, write bytes
 * from {@link OutputBuffer.length} on, then set `length` past what they wrote. Growth
 * doubles the capacity, so appending is amortised O(1) and a steady stream of lines
 * allocates nothing after the first few batches.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { OutputBuffer } from "./buffer.ts";
 *
 * const out = new OutputBuffer();
 * out.appendAscii("hello\n");
 * assert.equal(new TextDecoder().decode(out.bytes()), "hello\n");
 * ```
 */
export class OutputBuffer {
  /** The backing store; replaced (not resized) when it grows. */
  buffer: Uint8Array<ArrayBuffer>;
  #length = 0;
  #address = -1n;
  #initialCapacity: number;

  /**
   * Allocates an empty buffer.
   *
   * @param initialCapacity Bytes to allocate up front. @default 65,536
   */
  constructor(initialCapacity = 65_536) {
    this.#initialCapacity = Math.max(64, initialCapacity);
    this.buffer = new Uint8Array(this.#initialCapacity);
  }

  /** Bytes appended so far. */
  get length(): number {
    return this.#length;
  }

  /**
   * Sets the number of valid bytes (after writing into {@link buffer} directly, or to
   * drop bytes written after a mark).
   *
   * @throws {RangeError} If `n` is negative or beyond the capacity.
   */
  set length(n: number) {
    if (n < 0 || n > this.buffer.length) {
      throw new RangeError(`Length ${n} is out of range 0..${this.buffer.length}`);
    }
    this.#length = n;
  }

  /**
   * The address of {@link buffer}'s first byte, for native copies (memcpy) into it.
   * Changes when the buffer grows.
   */
  get address(): bigint {
    if (this.#address < 0n) {
      this.#address = BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(this.buffer)));
    }
    return this.#address;
  }

  /**
   * Makes room for `n` more bytes after {@link length}.
   *
   * @param n Bytes about to be written.
   * @returns The (possibly new) backing store.
   */
  reserve(n: number): Uint8Array<ArrayBuffer> {
    const need = this.#length + n;
    if (need > this.buffer.length) {
      let cap = this.buffer.length * 2;
      while (cap < need) cap *= 2;
      const next = new Uint8Array(cap);
      next.set(this.buffer.subarray(0, this.#length));
      this.buffer = next;
      this.#address = -1n;
    }
    return this.buffer;
  }

  /**
   * Appends bytes.
   *
   * @param bytes What to append.
   */
  append(bytes: Uint8Array): void {
    this.reserve(bytes.length).set(bytes, this.#length);
    this.#length += bytes.length;
  }

  /**
   * Appends a string that is known to be ASCII (one byte per UTF-16 unit).
   *
   * @param s ASCII text; other characters are truncated to their low byte.
   */
  appendAscii(s: string): void {
    const b = this.reserve(s.length);
    let p = this.#length;
    for (let i = 0; i < s.length; i++) b[p++] = s.charCodeAt(i);
    this.#length = p;
  }

  /** A view of the bytes appended so far (valid until the next append or reset). */
  bytes(): Uint8Array<ArrayBuffer> {
    return this.buffer.subarray(0, this.#length);
  }

  /**
   * Empties the buffer. It keeps its capacity, unless one huge entry made it grow
   * beyond {@link SHRINK_ABOVE}: then it goes back to its initial capacity, so a
   * 100 MB message does not hold 100 MB for the rest of the process's life.
   */
  reset(): void {
    this.#length = 0;
    if (this.buffer.length > SHRINK_ABOVE && this.buffer.length > this.#initialCapacity) {
      this.buffer = new Uint8Array(this.#initialCapacity);
      this.#address = -1n;
    }
  }
}
