/**
 * A fast, allocation-light, streaming CSV reader for Personalize import files
 * (https://docs.aws.amazon.com/personalize/latest/dg/data-prep-formatting.html): comma separated,
 * header first, RFC 4180 double-quote quoting (`""` inside quotes), plus Personalize's
 * backslash escaping of `"` and `\` inside quoted values, CRLF, LF or CR line ends, and quoting
 * that varies from field to field as real exports have it.
 *
 * Input arrives in pieces of any size (`CsvStream`): a record, a quoted value, a CRLF or a
 * multi-byte UTF-8 character may be split between two pieces. Only the record being read is
 * carried from one piece to the next, so memory is bounded by the piece size, not the file.
 *
 * The reader hands out fields lazily: it records where each field of a record starts and ends
 * in the text, and makes a string only when asked (`field`), so a validator can check a number
 * or a length without allocating.
 */
import { isUtf8 } from "node:buffer";

const COMMA = 0x2c;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const LF = 0x0a;
const CR = 0x0d;

/** `CsvReader.read`: no more records (the input has ended). */
export const END = -1;
/** `CsvReader.read`: the text so far ends inside a record; the stream needs more input. */
export const NEED_MORE = -2;
/**
 * A record still open after this many characters is read as it stands, without waiting for
 * more input: a quote that never closes would otherwise swallow the rest of the file into one
 * record, and into memory.
 */
export const MAX_RECORD_CHARS = 1 << 23;
/** Bytes decoded at a time: big enough that per-piece costs vanish, small for memory. */
export const PIECE_BYTES = 1 << 20;

/** Input that is not UTF-8 text; the message names the byte offset. */
export class CsvEncodingError extends Error {
  constructor(message: string) {
    super(message);
    // Set explicitly: serialized into a dynamic provider, `super` becomes `Error.call(this)`,
    // which does not set the message.
    this.message = message;
    this.name = "CsvEncodingError";
  }
}

/** Reads records one at a time from text given in one piece or several (`reset`). */
export class CsvReader {
  // State is assigned in the constructor, not in field initializers: Pulumi's closure
  // serializer (dynamic providers) keeps only the constructor body and drops initializers.
  /** The text being read; fields of the last record are ranges of it (`starts`, `ends`). */
  text: string;
  /**
   * Per field of the last record: where its value starts and ends in `text`, or -1 in
   * `starts` when the value had to be unescaped and is held in `values` instead.
   */
  starts: Int32Array;
  ends: Int32Array;
  private values: string[];
  private pos: number;
  /** Whether `text` runs to the end of the input; if not, a record reaching its end waits. */
  private final: boolean;
  /** Read the pending record as it stands even if it reaches the end of the text. */
  private flush: boolean;
  private physicalLine: number;
  /**
   * The next comma, LF, CR and backslash in `text` at or after the position they were looked
   * for from (`text.length` when there is none): found with `indexOf`, which scans far faster
   * than a loop over characters, and looked for again only once the reader has passed them.
   */
  private nextComma: number;
  private nextLF: number;
  private nextCR: number;
  private nextBackslash: number;
  /** 1-based line on which the record last returned by `read` starts. */
  line: number;
  /** 1-based line on which that record ends (later than `line` when a quoted value holds newlines). */
  endLine: number;
  /** Set when the record last returned had a quoted value that never closed. */
  unterminatedQuote: boolean;
  /** How many fields the record last returned has. */
  count: number;

  /** A reader of `text`; `final` false when more text will follow through `feed`. */
  constructor(text = "", final = true) {
    this.text = text;
    this.starts = new Int32Array(16);
    this.ends = new Int32Array(16);
    this.values = [];
    this.pos = 0;
    this.final = final;
    this.flush = false;
    this.physicalLine = 1;
    this.nextComma = -1;
    this.nextLF = -1;
    this.nextCR = -1;
    this.nextBackslash = -1;
    this.line = 0;
    this.endLine = 0;
    this.unterminatedQuote = false;
    this.count = 0;
  }

  /**
   * Continues with `text`, which starts with what is left unread (`rest()`) and goes on with
   * the next text of the input. With `final`, `text` runs to the end of the input. A record left
   * open for longer than MAX_RECORD_CHARS is read as it stands.
   */
  reset(text: string, final: boolean): void {
    this.flush = this.text.length - this.pos > MAX_RECORD_CHARS;
    this.text = text;
    this.pos = 0;
    this.final = final;
    this.nextComma = this.nextLF = this.nextCR = this.nextBackslash = -1;
  }

  /** The text taken in but not yet returned as part of a record. */
  rest(): string {
    return this.pos === 0 ? this.text : this.text.slice(this.pos);
  }

  /**
   * Reads the next record and returns how many fields it has; END when the input has ended,
   * NEED_MORE when the text ends inside a record (or between records) and more will follow.
   * Blank lines are skipped.
   */
  read(): number {
    const text = this.text;
    const len = text.length;
    const waits = !this.final && !this.flush;
    let pos = this.pos;
    let physicalLine = this.physicalLine;
    // Skip blank lines (including the usual newline at the end of the file).
    for (;;) {
      if (pos >= len) {
        this.pos = pos;
        this.physicalLine = physicalLine;
        return this.final ? END : NEED_MORE;
      }
      const c = text.charCodeAt(pos);
      if (c === LF) {
        pos++;
        physicalLine++;
      } else if (c === CR) {
        // A CR at the end of the text may be half of a CRLF: wait to count the line once.
        if (pos + 1 >= len && waits) {
          this.pos = pos;
          this.physicalLine = physicalLine;
          return NEED_MORE;
        }
        pos++;
        if (pos < len && text.charCodeAt(pos) === LF) pos++;
        physicalLine++;
      } else break;
    }
    const recordStart = pos;
    const recordLine = physicalLine;
    let nextComma = this.nextComma;
    let nextLF = this.nextLF;
    let nextCR = this.nextCR;
    let nextBackslash = this.nextBackslash;
    let starts = this.starts;
    let ends = this.ends;
    let unterminated = false;
    let n = 0;
    for (;;) {
      if (n === starts.length) {
        starts = this.starts = grown(starts);
        ends = this.ends = grown(ends);
      }
      if (nextLF < pos) {
        nextLF = text.indexOf("\n", pos);
        if (nextLF < 0) nextLF = len;
      }
      if (nextCR < pos) {
        nextCR = text.indexOf("\r", pos);
        if (nextCR < 0) nextCR = len;
      }
      if (pos < len && text.charCodeAt(pos) === QUOTE) {
        const open = pos + 1;
        let close = text.indexOf('"', open);
        if (close < 0) close = len;
        if (nextBackslash < open) {
          nextBackslash = text.indexOf("\\", open);
          if (nextBackslash < 0) nextBackslash = len;
        }
        const after = close + 1;
        const c = after < len ? text.charCodeAt(after) : QUOTE;
        if (
          close < nextBackslash &&
          close < nextLF &&
          close < nextCR &&
          (c === COMMA || c === LF || c === CR)
        ) {
          // A quoted value with no escape and no line break in it: a range, like any other.
          starts[n] = open;
          ends[n] = close;
          pos = after;
        } else {
          pos = open;
          let start = pos;
          // Pieces of a value with escapes, joined.
          let escaped = "";
          let plain = true;
          for (;;) {
            if (pos >= len) {
              unterminated = true;
              break;
            }
            const c = text.charCodeAt(pos);
            if (c === QUOTE) {
              if (pos + 1 < len && text.charCodeAt(pos + 1) === QUOTE) {
                escaped += text.slice(start, pos + 1);
                plain = false;
                pos += 2;
                start = pos;
                continue;
              }
              break;
            }
            if (c === BACKSLASH && pos + 1 < len) {
              const d = text.charCodeAt(pos + 1);
              if (d === QUOTE || d === BACKSLASH) {
                escaped += text.slice(start, pos);
                plain = false;
                pos++;
                start = pos;
                pos++;
                continue;
              }
            }
            if (c === LF) physicalLine++;
            else if (c === CR && !(pos + 1 < len && text.charCodeAt(pos + 1) === LF)) {
              physicalLine++;
            }
            pos++;
          }
          const end = pos;
          if (!unterminated) pos++;
          // Text between a closing quote and the next separator is kept, as lenient readers do.
          const rest = pos;
          while (pos < len) {
            const c = text.charCodeAt(pos);
            if (c === COMMA || c === LF || c === CR) break;
            pos++;
          }
          if (plain && pos === rest) {
            starts[n] = start;
            ends[n] = end;
          } else {
            this.values[n] = escaped + text.slice(start, end) + text.slice(rest, pos);
            starts[n] = -1;
          }
        }
      } else {
        if (nextComma < pos) {
          nextComma = text.indexOf(",", pos);
          if (nextComma < 0) nextComma = len;
        }
        let end = nextComma;
        if (nextLF < end) end = nextLF;
        if (nextCR < end) end = nextCR;
        starts[n] = pos;
        ends[n] = end;
        pos = end;
      }
      n++;
      if (pos >= len) {
        if (waits) return this.rewind(recordStart, recordLine);
        this.endLine = physicalLine;
        break;
      }
      const c = text.charCodeAt(pos);
      pos++;
      if (c === COMMA) continue;
      if (c === CR) {
        if (pos < len) {
          if (text.charCodeAt(pos) === LF) pos++;
        } else if (waits) return this.rewind(recordStart, recordLine);
      }
      this.endLine = physicalLine;
      physicalLine++;
      break;
    }
    this.nextComma = nextComma;
    this.nextLF = nextLF;
    this.nextCR = nextCR;
    this.nextBackslash = nextBackslash;
    this.pos = pos;
    this.physicalLine = physicalLine;
    this.line = recordLine;
    this.unterminatedQuote = unterminated;
    this.flush = false;
    this.count = n;
    return n;
  }

  private rewind(recordStart: number, recordLine: number): number {
    this.pos = recordStart;
    this.physicalLine = recordLine;
    return NEED_MORE;
  }

  /** Field `i` of the last record, as a string. */
  field(i: number): string {
    const start = this.starts[i];
    return start >= 0 ? this.text.slice(start, this.ends[i]) : this.values[i];
  }

  /** The length of field `i` of the last record, without making a string of it. */
  fieldLength(i: number): number {
    const start = this.starts[i];
    return start >= 0 ? this.ends[i] - start : this.values[i].length;
  }

  /** Whether field `i` of the last record is `value`, without making a string of it. */
  fieldIs(i: number, value: string): boolean {
    const start = this.starts[i];
    if (start < 0) return this.values[i] === value;
    return this.ends[i] - start === value.length && this.text.startsWith(value, start);
  }

  /**
   * Reads the next record into `fields` (overwriting from index 0), for callers that want
   * every field as a string; returns what `read` returns.
   */
  next(fields: string[]): number {
    const n = this.read();
    for (let i = 0; i < n; i++) fields[i] = this.field(i);
    return n;
  }
}

function grown(array: Int32Array): Int32Array {
  const bigger = new Int32Array(array.length * 2);
  bigger.set(array);
  return bigger;
}

/** The UTF-8 length of a sequence by its lead byte; 0 for a byte no sequence starts with. */
function sequenceLength(lead: number): number {
  if (lead < 0x80) return 1;
  if (lead >= 0xc2 && lead <= 0xdf) return 2;
  if (lead >= 0xe0 && lead <= 0xef) return 3;
  if (lead >= 0xf0 && lead <= 0xf4) return 4;
  return 0;
}

/** Index of the first byte of `bytes` that is not part of well-formed UTF-8, or -1. */
function firstBadByte(bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length;) {
    const lead = bytes[i];
    const n = sequenceLength(lead);
    if (n === 0 || i + n > bytes.length) return i;
    // The second byte's range excludes overlong forms, surrogates and code points past U+10FFFF.
    const second = bytes[i + 1];
    const low = lead === 0xe0 ? 0xa0 : lead === 0xf0 ? 0x90 : 0x80;
    const high = lead === 0xed ? 0x9f : lead === 0xf4 ? 0x8f : 0xbf;
    if (n > 1 && (second < low || second > high)) return i;
    for (let k = 2; k < n; k++) if ((bytes[i + k] & 0xc0) !== 0x80) return i;
    i += n;
  }
  return -1;
}

/**
 * Decodes UTF-8 arriving in pieces: a character split between two pieces is carried over, and
 * bytes that are not UTF-8 throw CsvEncodingError naming their offset, because Personalize
 * rejects such files instead of guessing a charset.
 */
export class Utf8Decoder {
  /** The start of a character split at the end of the last piece (at most 3 bytes). */
  private carry: Uint8Array;
  private carried: number;
  /** Bytes decoded before the current piece, for error offsets. */
  private offset: number;
  /** Where text before a piece and the piece's bytes are joined, to decode them as one. */
  private scratch: Buffer;

  constructor() {
    this.carry = new Uint8Array(4);
    this.carried = 0;
    this.offset = 0;
    this.scratch = Buffer.alloc(0);
  }

  /**
   * `before`, followed by the text of `piece` (and of a character the last piece left open),
   * as one flat string: a string made with `+` is a rope, whose every character access takes
   * a detour, and the reader reads each character several times.
   */
  decode(piece: Uint8Array, before = ""): string {
    const bytes = Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);
    let start = 0;
    let head = 0;
    if (this.carried > 0) {
      const need = sequenceLength(this.carry[0]) - this.carried;
      const take = Math.min(need, bytes.length);
      this.carry.set(bytes.subarray(0, take), this.carried);
      this.carried += take;
      start = take;
      if (take < need) {
        this.offset += bytes.length;
        return before;
      }
      const character = this.carry.subarray(0, this.carried);
      if (!isUtf8(character)) this.fail(character, this.offset - (this.carried - take));
      head = this.carried;
      this.carried = 0;
    }
    let end = bytes.length;
    // A sequence whose lead byte is among the last three bytes may continue in the next piece.
    for (let i = end - 1; i >= start && i >= end - 3; i--) {
      const b = bytes[i];
      if ((b & 0xc0) === 0x80) continue;
      if (i + Math.max(sequenceLength(b), 1) > end) end = i;
      break;
    }
    const body = bytes.subarray(start, end);
    if (!isUtf8(body)) this.fail(body, this.offset + start);
    this.offset += bytes.length;
    let text: string;
    if (before.length === 0 && head === 0) text = bytes.toString("utf8", start, end);
    else {
      const size = Buffer.byteLength(before) + head + body.length;
      if (this.scratch.length < size) {
        this.scratch = Buffer.allocUnsafe(Math.max(size + (size >> 2), 1 << 16));
      }
      let at = this.scratch.write(before, 0);
      this.scratch.set(this.carry.subarray(0, head), at);
      at += head;
      this.scratch.set(body, at);
      text = this.scratch.toString("utf8", 0, at + body.length);
    }
    if (end < bytes.length) {
      this.carry.set(bytes.subarray(end));
      this.carried = bytes.length - end;
    }
    return text;
  }

  /** Throws when the input ended inside a character. */
  end(): void {
    if (this.carried > 0) {
      this.fail(this.carry.subarray(0, this.carried), this.offset - this.carried);
    }
  }

  private fail(bytes: Uint8Array, at: number): never {
    const bad = Math.max(firstBadByte(bytes), 0);
    throw new CsvEncodingError(
      `Input CSV is not valid UTF-8 (the first bad byte is byte ${at + bad + 1} of the file, 0x${bytes[bad].toString(16).padStart(2, "0")}); save the file as UTF-8`,
    );
  }
}

/**
 * Bytes (or text) in pieces to CSV records: decodes each piece, drops a byte-order mark at
 * the start, and feeds the text to `reader`. After each `push`, `reader.read()` returns the
 * records the input so far completes, then NEED_MORE; after `end`, the rest, then END.
 */
export class CsvStream {
  readonly reader: CsvReader;
  private readonly decoder: Utf8Decoder;
  private started: boolean;

  constructor() {
    this.reader = new CsvReader("", false);
    this.decoder = new Utf8Decoder();
    this.started = false;
  }

  /** Adds the next piece of input. Throws CsvEncodingError for bytes that are not UTF-8. */
  push(piece: Uint8Array | string): void {
    const reader = this.reader;
    const rest = reader.rest();
    let text = typeof piece === "string" ? rest + piece : this.decoder.decode(piece, rest);
    if (!this.started && text.length > 0) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    reader.reset(text, false);
  }

  /** Ends the input. Throws CsvEncodingError when it ended inside a UTF-8 character. */
  end(): void {
    this.decoder.end();
    this.reader.reset(this.reader.rest(), true);
  }
}

/**
 * `input` in pieces of at most PIECE_BYTES (views, not copies), so that a large buffer is never
 * decoded into one string (V8 strings stop at about 512 MB).
 */
export function* pieces(input: Uint8Array | string): Generator<Uint8Array | string> {
  if (typeof input === "string" || input.byteLength <= PIECE_BYTES) {
    yield input;
    return;
  }
  for (let at = 0; at < input.byteLength; at += PIECE_BYTES) {
    yield input.subarray(at, Math.min(at + PIECE_BYTES, input.byteLength));
  }
}

/**
 * Every record of the input as it arrives, for callers that read a few fields or stop early:
 * yields the reader, positioned on each record in turn (its fields are valid until the next).
 */
export function* csvRecords(input: Iterable<Uint8Array | string>): Generator<CsvReader> {
  const stream = new CsvStream();
  const reader = stream.reader;
  for (const chunk of input) {
    for (const piece of pieces(chunk)) {
      stream.push(piece);
      while (reader.read() >= 0) yield reader;
    }
  }
  stream.end();
  while (reader.read() >= 0) yield reader;
}

/** Convenience for small inputs and tests: every record as an array of strings. */
export function parseCsv(input: Uint8Array | string): string[][] {
  const rows: string[][] = [];
  for (const reader of csvRecords([input])) {
    const row: string[] = [];
    for (let i = 0; i < reader.count; i++) row.push(reader.field(i));
    rows.push(row);
  }
  return rows;
}
