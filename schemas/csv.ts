/**
 * A fast, allocation-light CSV reader for Personalize import files (personalize-api.md §6):
 * comma separated, header first, RFC 4180 double-quote quoting (`""` inside quotes), plus
 * Personalize's backslash escaping of `"` and `\` inside quoted values, CRLF or LF line ends,
 * and quoting that varies from field to field as real exports have it.
 *
 * The reader works on one decoded string and hands out fields through a caller-owned array
 * that it reuses, so a 1M-row import creates no per-row objects.
 */
import { isUtf8 } from "node:buffer";

const COMMA = 0x2c;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const LF = 0x0a;
const CR = 0x0d;

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

/**
 * Decodes import bytes as UTF-8, dropping a byte-order mark; throws CsvEncodingError when the
 * bytes are not UTF-8, because Personalize rejects such files instead of guessing a charset.
 */
export function decodeCsv(input: string | Buffer): string {
  if (typeof input === "string") return input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
  const start =
    input.length >= 3 && input[0] === 0xef && input[1] === 0xbb && input[2] === 0xbf ? 3 : 0;
  if (!isUtf8(input)) {
    const decoded = input.toString("utf8", start);
    const at = decoded.indexOf("\ufffd");
    throw new CsvEncodingError(
      `Input CSV is not valid UTF-8 (first bad character at about character ${at + 1}); save the file as UTF-8`,
    );
  }
  return input.toString("utf8", start);
}

/** Reads records one at a time from decoded CSV text. */
export class CsvReader {
  // State is assigned in the constructor, not in field initializers: Pulumi's closure
  // serializer (dynamic providers) keeps only the constructor body and drops initializers.
  private readonly text: string;
  private pos: number;
  private physicalLine: number;
  /** 1-based line on which the record last returned by `next` starts. */
  line: number;
  /** 1-based line on which that record ends (later than `line` when a quoted value holds newlines). */
  endLine: number;
  /** Set when the record last returned had a quoted value that never closed. */
  unterminatedQuote: boolean;

  constructor(text: string) {
    this.text = text;
    this.pos = 0;
    this.physicalLine = 1;
    this.line = 0;
    this.endLine = 0;
    this.unterminatedQuote = false;
  }

  /**
   * Reads the next record into `fields` (overwriting from index 0) and returns how many
   * fields it has, or -1 at the end. Blank lines are skipped.
   */
  next(fields: string[]): number {
    const text = this.text;
    const len = text.length;
    let pos = this.pos;
    // Skip blank lines (including the usual newline at the end of the file).
    for (;;) {
      if (pos >= len) {
        this.pos = pos;
        return -1;
      }
      const c = text.charCodeAt(pos);
      if (c === LF) {
        pos++;
        this.physicalLine++;
      } else if (c === CR) {
        pos++;
        if (pos < len && text.charCodeAt(pos) === LF) pos++;
        this.physicalLine++;
      } else break;
    }
    this.line = this.physicalLine;
    this.unterminatedQuote = false;
    let n = 0;
    for (;;) {
      let value: string;
      if (pos < len && text.charCodeAt(pos) === QUOTE) {
        pos++;
        let start = pos;
        value = "";
        for (;;) {
          if (pos >= len) {
            this.unterminatedQuote = true;
            value += text.slice(start, pos);
            break;
          }
          const c = text.charCodeAt(pos);
          if (c === QUOTE) {
            if (pos + 1 < len && text.charCodeAt(pos + 1) === QUOTE) {
              value += text.slice(start, pos + 1);
              pos += 2;
              start = pos;
              continue;
            }
            value += text.slice(start, pos);
            pos++;
            break;
          }
          if (c === BACKSLASH && pos + 1 < len) {
            const d = text.charCodeAt(pos + 1);
            if (d === QUOTE || d === BACKSLASH) {
              value += text.slice(start, pos);
              pos++;
              start = pos;
              pos++;
              continue;
            }
          }
          if (c === LF) this.physicalLine++;
          else if (c === CR && !(pos + 1 < len && text.charCodeAt(pos + 1) === LF))
            this.physicalLine++;
          pos++;
        }
        // Text between a closing quote and the next separator is kept, as lenient readers do.
        const rest = pos;
        while (pos < len) {
          const c = text.charCodeAt(pos);
          if (c === COMMA || c === LF || c === CR) break;
          pos++;
        }
        if (pos > rest) value += text.slice(rest, pos);
      } else {
        const start = pos;
        while (pos < len) {
          const c = text.charCodeAt(pos);
          if (c === COMMA || c === LF || c === CR) break;
          pos++;
        }
        value = text.slice(start, pos);
      }
      fields[n++] = value;
      this.endLine = this.physicalLine;
      if (pos >= len) break;
      const c = text.charCodeAt(pos);
      pos++;
      if (c === COMMA) continue;
      if (c === CR && pos < len && text.charCodeAt(pos) === LF) pos++;
      this.physicalLine++;
      break;
    }
    this.pos = pos;
    return n;
  }
}

/** Convenience for small inputs and tests: every record as an array of strings. */
export function parseCsv(input: string | Buffer): string[][] {
  const reader = new CsvReader(decodeCsv(input));
  const rows: string[][] = [];
  const fields: string[] = [];
  for (let n = reader.next(fields); n >= 0; n = reader.next(fields)) rows.push(fields.slice(0, n));
  return rows;
}
