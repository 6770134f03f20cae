/**
 * Reading a file in pieces, synchronously, through one reused buffer: how the validator, the
 * stack's preview check and hash, and the emulator's import read data files of any size
 * without holding them in memory.
 */
import { closeSync, openSync, readSync } from "node:fs";

/** Bytes per read. */
export const FILE_CHUNK_BYTES = 1 << 20;

/**
 * The bytes of `file` (a path, or an open descriptor: read from offset 0 and left open) in
 * pieces of up to `chunkBytes`. Each piece is a view of one reused buffer, valid until the next
 * one is asked for: a consumer that keeps bytes copies them.
 */
export function* fileChunks(
  file: string | number,
  chunkBytes = FILE_CHUNK_BYTES,
): Generator<Buffer, void, undefined> {
  const fd = typeof file === "number" ? file : openSync(file, "r");
  try {
    const buffer = Buffer.allocUnsafe(chunkBytes);
    for (let position = 0; ;) {
      const n = readSync(fd, buffer, 0, chunkBytes, position);
      if (n === 0) return;
      position += n;
      yield buffer.subarray(0, n);
    }
  } finally {
    if (typeof file !== "number") closeSync(fd);
  }
}
