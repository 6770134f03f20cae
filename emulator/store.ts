/**
 * Persistence for `--data-dir`. The whole control-plane and S3 metadata state is one JSON file,
 * replaced atomically (write a temp file, fsync, rename, fsync the folder), so a kill -9 at any
 * moment leaves either the previous or the new state. S3 object bodies are separate files that
 * are written (and synced) BEFORE the state that references them, and removed only after a
 * state without them is on disk; startup sweeps bodies no state references.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { atomicWrite } from "../schemas/atomic-write";
import { fileChunks } from "../schemas/file-chunks";
import type { ResourceRecord } from "./control";

export interface ObjectMeta {
  key: string;
  etag: string;
  size: number;
  lastModified: number;
  contentType?: string;
  metadata?: Record<string, string>;
  /** File name of the body under `objects/` (data dir only). */
  blob?: string;
}

export interface BucketState {
  name: string;
  region: string;
  created: number;
  objects: ObjectMeta[];
}

export interface PersistedState {
  version: 1;
  resources: ResourceRecord[];
  buckets: BucketState[];
}

const STATE_FILE = "state.json";

export class DiskStore {
  private readonly objectsDir: string;

  constructor(readonly dir: string) {
    this.objectsDir = join(dir, "objects");
    mkdirSync(this.objectsDir, { recursive: true });
  }

  load(): PersistedState | undefined {
    const path = join(this.dir, STATE_FILE);
    if (!existsSync(path)) return undefined;
    const text = readFileSync(path, "utf8");
    let state: PersistedState;
    try {
      state = JSON.parse(text) as PersistedState;
    } catch (err) {
      // Cannot happen with atomic renames; refuse rather than silently start empty.
      throw new Error(
        `The emulator state ${path} is not valid JSON (${(err as Error).message}); move it away to start fresh.`,
        { cause: err },
      );
    }
    if (state.version !== 1)
      throw new Error(
        `The emulator state ${path} has version ${String(state.version)}; this emulator reads version 1.`,
      );
    return state;
  }

  save(state: PersistedState): void {
    atomicWrite(join(this.dir, STATE_FILE), Buffer.from(JSON.stringify(state)));
  }

  /** Writes an object body (one buffer, or pieces in order) durably; returns its blob name. */
  writeBlob(body: Uint8Array | Iterable<Uint8Array>): string {
    const name = randomBytes(12).toString("hex");
    atomicWrite(join(this.objectsDir, name), body);
    return name;
  }

  /** One body made of other blobs in order, copied in pieces (a multipart upload's parts). */
  joinBlobs(names: readonly string[]): string {
    const paths = names.map((name) => this.blobPath(name));
    return this.writeBlob(
      (function* () {
        for (const path of paths) yield* fileChunks(path);
      })(),
    );
  }

  readBlob(name: string): Buffer {
    return readFileSync(this.blobPath(name));
  }

  /** The file holding a blob, for reading it in pieces. */
  blobPath(name: string): string {
    return join(this.objectsDir, name);
  }

  deleteBlob(name: string): void {
    try {
      unlinkSync(join(this.objectsDir, name));
    } catch {
      // Already gone: a sweep after a crash may have removed it.
    }
  }

  /** Removes bodies no state references and temp files a crash left behind. */
  sweep(referenced: Set<string>): void {
    for (const name of readdirSync(this.objectsDir))
      if (!referenced.has(name)) this.deleteBlob(name);
    for (const name of readdirSync(this.dir))
      if (name.endsWith(".tmp")) unlinkSync(join(this.dir, name));
  }
}
