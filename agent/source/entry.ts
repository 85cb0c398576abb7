/**
 * One journal entry as the formatters see it: its fields' bytes back to back in one
 * reusable buffer (`NAME=value`, as sd_journal_enumerate_data(3) returns them), plus
 * the entry's timestamps, boot ID, sequence number and (when asked for) cursor.
 *
 * Well-known fields are located while the fields are collected, so formatters and
 * filters find MESSAGE, PRIORITY, _PID and the rest without searching.
 *
 * @module
 */
import { Known, KNOWN_NAMES, nameHash } from "./known_fields.ts";

const NAME_TABLE_SIZE = 512;

/** Field buffer capacity above which {@link EntryFields.clear} gives memory back. */
const SHRINK_ABOVE = 4 << 20;

/**
 * One entry's fields and metadata, reused from entry to entry (no allocation per entry
 * once its buffer is large enough).
 */
export class EntryFields {
  /** The fields' bytes, `NAME=value` back to back; grows as needed. */
  data: Uint8Array<ArrayBuffer>;
  /** Bytes used in {@link data}. */
  used = 0;
  /** Number of fields. */
  count = 0;
  /** Start of field i in {@link data}. */
  starts: Int32Array = new Int32Array(64);
  /** Index of field i's `=` in {@link data} (end of the name, value starts after it). */
  eqs: Int32Array = new Int32Array(64);
  /** End (exclusive) of field i. */
  ends: Int32Array = new Int32Array(64);
  /** Hash of field i's name ({@link nameHash}). */
  hashes: Int32Array = new Int32Array(64);
  /** Field index of each {@link Known} field in this entry, or -1; the last occurrence
   * when repeated (journalctl's short output also keeps the last). */
  known: Int32Array = new Int32Array(KNOWN_NAMES.length);
  /** The realtime timestamp (µs since the epoch, sd_journal_get_realtime_usec(3)). */
  realtime = 0;
  /** The monotonic timestamp (µs since boot, sd_journal_get_monotonic_usec(3)). */
  monotonic = 0;
  /** The boot ID as 32 lowercase hex digits (ASCII bytes). */
  bootId: Uint8Array = new Uint8Array(32);
  /** Whether {@link seqnum} and {@link seqnumId} are set (libsystemd 254+). */
  hasSeqnum = false;
  /** The sequence number (sd_journal_get_seqnum(3)). */
  seqnum = 0;
  /** The sequence number ID as 32 hex digits (ASCII bytes). */
  seqnumId: Uint8Array = new Uint8Array(32);
  /** The cursor's bytes, when collected (see {@link cursorLength}). */
  cursor: Uint8Array = new Uint8Array(256);
  /** The cursor's length; 0 if not collected. */
  cursorLength = 0;
  /** Extra field names looked up per entry (e.g. the collector format's). */
  extraNames: string[] = [];
  /** Field index of each of {@link extraNames} in this entry, or -1; the last
   * occurrence when repeated. */
  extraKnown: Int32Array = new Int32Array(0);
  #address = -1n;
  #initialCapacity: number;
  #extraAsKnown: number[] = [];
  // Open-addressed table: name hash -> Known index (>= 0) or extra index (-2 - i).
  #tableHash = new Int32Array(NAME_TABLE_SIZE);
  #tableId = new Int32Array(NAME_TABLE_SIZE).fill(-1);
  #tableName: (Uint8Array | undefined)[] = new Array(NAME_TABLE_SIZE);

  /**
   * Makes an empty entry.
   *
   * @param initialCapacity Bytes for the field buffer. @default 65,536
   */
  constructor(initialCapacity = 65_536) {
    this.#initialCapacity = initialCapacity;
    this.data = new Uint8Array(initialCapacity);
    KNOWN_NAMES.forEach((n, i) => this.#addName(n, i));
  }

  /**
   * Sets the extra field names to locate in each entry (see {@link extraIndex}).
   *
   * @param names Field names, e.g. `["CONTAINER_NAME"]`.
   */
  setExtraNames(names: readonly string[]): void {
    this.extraNames = [...names];
    this.extraKnown = new Int32Array(names.length).fill(-1);
    this.#extraAsKnown = names.map((n) => (KNOWN_NAMES as readonly string[]).indexOf(n));
    names.forEach((n, i) => this.#addName(n, -2 - i));
  }

  /**
   * The field index of extra field `e` (an index into {@link extraNames}) in this
   * entry, or -1 if absent.
   */
  extraIndex(e: number): number {
    const k = this.#extraAsKnown[e]!;
    return k >= 0 ? this.known[k]! : this.extraKnown[e]!;
  }

  #addName(name: string, id: number): void {
    const bytes = new TextEncoder().encode(name);
    const h = nameHash(bytes, 0, bytes.length);
    let slot = h & (NAME_TABLE_SIZE - 1);
    while (this.#tableId[slot] !== -1) {
      if (this.#tableHash[slot] === h && equalBytes(this.#tableName[slot]!, bytes)) {
        if (id >= 0 || this.#tableId[slot]! < 0) this.#tableId[slot] = id;
        return;
      }
      slot = (slot + 1) & (NAME_TABLE_SIZE - 1);
    }
    this.#tableHash[slot] = h;
    this.#tableId[slot] = id;
    this.#tableName[slot] = bytes;
  }

  /** The address of {@link data}, for native copies into it. */
  get address(): bigint {
    if (this.#address < 0n) {
      this.#address = BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(this.data)));
    }
    return this.#address;
  }

  /** Forgets the previous entry's fields; gives back memory a huge entry took. */
  clear(): void {
    if (this.data.length > SHRINK_ABOVE && this.data.length > this.#initialCapacity) {
      this.data = new Uint8Array(this.#initialCapacity);
      this.#address = -1n;
    }
    this.used = 0;
    this.count = 0;
    this.known.fill(-1);
    this.extraKnown.fill(-1);
    this.cursorLength = 0;
  }

  /**
   * Makes room for `n` more bytes in {@link data}.
   *
   * @param n Bytes about to be copied in.
   */
  reserve(n: number): void {
    const need = this.used + n;
    if (need <= this.data.length) return;
    let cap = this.data.length * 2;
    while (cap < need) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.data.subarray(0, this.used));
    this.data = next;
    this.#address = -1n;
  }

  /**
   * Records the field that was just copied to `data[used..used+length)`: finds its `=`,
   * hashes its name and notes it if well known. A field without `=` is dropped.
   *
   * @param length The field's length in bytes.
   */
  commit(length: number): void {
    const d = this.data;
    const start = this.used;
    const end = start + length;
    let h = 0;
    let i = start;
    for (; i < end; i++) {
      const c = d[i]!;
      if (c === 61) break; // '='
      h = (Math.imul(h, 31) + c) | 0;
    }
    if (i === end) return; // not NAME=value: journalctl skips such data too
    const n = this.count;
    if (n === this.starts.length) this.#growIndex();
    this.starts[n] = start;
    this.eqs[n] = i;
    this.ends[n] = end;
    this.hashes[n] = h;
    let slot = h & (NAME_TABLE_SIZE - 1);
    let id: number;
    while ((id = this.#tableId[slot]!) !== -1) {
      if (this.#tableHash[slot] === h && this.#sameName(slot, start, i)) {
        if (id >= 0) {
          this.known[id] = n;
        } else this.extraKnown[-2 - id] = n;
        break;
      }
      slot = (slot + 1) & (NAME_TABLE_SIZE - 1);
    }
    this.count = n + 1;
    this.used = end;
  }

  #sameName(slot: number, start: number, eq: number): boolean {
    const name = this.#tableName[slot]!;
    if (name.length !== eq - start) return false;
    const d = this.data;
    for (let k = 0; k < name.length; k++) if (d[start + k] !== name[k]) return false;
    return true;
  }

  #growIndex(): void {
    const grow = (a: Int32Array) => {
      const b = new Int32Array(a.length * 2);
      b.set(a);
      return b;
    };
    this.starts = grow(this.starts);
    this.eqs = grow(this.eqs);
    this.ends = grow(this.ends);
    this.hashes = grow(this.hashes);
  }

  /**
   * Appends a field from a string (for tests and for entries built by hand).
   *
   * @param field `NAME=value` as bytes or text.
   */
  push(field: string | Uint8Array): void {
    const bytes = typeof field === "string" ? new TextEncoder().encode(field) : field;
    this.reserve(bytes.length);
    this.data.set(bytes, this.used);
    this.commit(bytes.length);
  }

  /**
   * The value of a well-known field as a number, if it is all decimal digits.
   *
   * @param k Which field.
   * @returns The number, or -1 if absent, empty or not a decimal number.
   */
  knownNumber(k: Known): number {
    const i = this.known[k]!;
    if (i < 0) return -1;
    const d = this.data;
    const end = this.ends[i]!;
    let p = this.eqs[i]! + 1;
    if (p === end) return -1;
    let v = 0;
    for (; p < end; p++) {
      const c = d[p]! - 48;
      if (c < 0 || c > 9) return -1;
      v = v * 10 + c;
    }
    return v;
  }

  /**
   * The entry's PRIORITY (0 emerg .. 7 debug); 6 (info) when it is missing or not a
   * single digit 0-7, as journalctl's short output assumes.
   */
  priority(): number {
    const i = this.known[Known.PRIORITY]!;
    if (i < 0 || this.ends[i]! - this.eqs[i]! !== 2) return 6;
    const c = this.data[this.eqs[i]! + 1]! - 48;
    return c >= 0 && c <= 7 ? c : 6;
  }

  /**
   * The timestamp journalctl displays: _SOURCE_REALTIME_TIMESTAMP when it is a valid
   * decimal number of µs (non-zero), else the entry's realtime timestamp
   * (logs-show.c get_display_timestamp()).
   */
  displayRealtime(): number {
    const v = this.knownNumber(Known._SOURCE_REALTIME_TIMESTAMP);
    return v > 0 ? v : this.realtime;
  }

  /**
   * The field naming the entry's program, as journalctl chooses it (logs-show.c):
   * SYSLOG_IDENTIFIER, else _COMM.
   *
   * @returns The field's index, or -1 if the entry has neither.
   */
  identifierField(): number {
    const k = this.known;
    return k[Known.SYSLOG_IDENTIFIER]! >= 0 ? k[Known.SYSLOG_IDENTIFIER]! : k[Known._COMM]!;
  }

  /**
   * The field holding the entry's PID: _PID, else SYSLOG_PID.
   *
   * @returns The field's index, or -1 if the entry has neither.
   */
  pidField(): number {
    const k = this.known;
    return k[Known._PID]! >= 0 ? k[Known._PID]! : k[Known.SYSLOG_PID]!;
  }

  /**
   * The entry's PID as a number: _PID, else SYSLOG_PID, whichever is a valid number.
   *
   * @returns The PID, or -1 if neither field holds one.
   */
  pid(): number {
    const pid = this.knownNumber(Known._PID);
    return pid >= 0 ? pid : this.knownNumber(Known.SYSLOG_PID);
  }

  /**
   * The value of well-known field `k` as text (for tests and filters; not on the hot
   * path).
   *
   * @returns The value decoded as UTF-8 (invalid bytes replaced), or undefined.
   */
  knownText(k: Known): string | undefined {
    const i = this.known[k]!;
    if (i < 0) return undefined;
    return new TextDecoder().decode(this.data.subarray(this.eqs[i]! + 1, this.ends[i]!));
  }
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
