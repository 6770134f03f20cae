/**
 * Writing a file whole or not at all, beside reading one in pieces (file-chunks.ts): how the
 * emulator's store keeps its state and the program's type-check its cache
 * (stack/typecheck.ts).
 */
import { closeSync, fsyncSync, openSync, renameSync, writeSync } from "node:fs";
import { dirname } from "node:path";

/**
 * Replaces `path` with `data` atomically and durably: write a temp file, fsync it, rename it
 * over `path`, fsync the folder (so the rename itself survives a crash). A kill -9 at any
 * moment leaves the previous or the new file, never a torn one.
 */
export function atomicWrite(path: string, data: Uint8Array | Iterable<Uint8Array>): void {
  const tmp = `${path}.${process.pid}.tmp`;
  const fd = openSync(tmp, "w");
  try {
    for (const piece of data instanceof Uint8Array ? [data] : data) {
      for (let offset = 0; offset < piece.length;) offset += writeSync(fd, piece, offset);
    }
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  syncDir(dirname(path));
}

function syncDir(dir: string): void {
  const fd = openSync(dir, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
