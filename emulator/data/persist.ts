/**
 * Typed arrays and a JSON header in one file, written with atomicWrite
 * (schemas/atomic-write.ts) so a crash mid-write never leaves half a dataset or model behind.
 */
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync } from "node:fs";
import { dirname } from "node:path";
import { atomicWrite } from "../../schemas/atomic-write";

type TypedArray = Int32Array | Float64Array | Float32Array;
const CONSTRUCTORS = { Int32Array, Float64Array, Float32Array } as const;
type ArrayKind = keyof typeof CONSTRUCTORS;
const MAGIC = "PDP1";

export interface Stored {
  header: Record<string, unknown>;
  arrays: Record<string, TypedArray>;
}

function kindOf(a: TypedArray): ArrayKind {
  if (a instanceof Int32Array) return "Int32Array";
  if (a instanceof Float64Array) return "Float64Array";
  return "Float32Array";
}

/** The file name (without suffix) under which an ARN's data is stored: ARNs hold ':' and '/'. */
export const arnFileName = (arn: string) => createHash("sha1").update(arn).digest("hex");

const pad8 = (n: number) => (n + 7) & ~7;

export function writeStored(path: string, stored: Stored): void {
  const layout = Object.entries(stored.arrays).map(([name, a]) => ({
    name,
    kind: kindOf(a),
    length: a.length,
  }));
  const head = Buffer.from(JSON.stringify({ header: stored.header, layout }), "utf8");
  const start = pad8(8 + head.length);
  let size = start;
  for (const a of Object.values(stored.arrays)) size += pad8(a.byteLength);
  const out = Buffer.alloc(size);
  out.write(MAGIC, 0, "latin1");
  out.writeUInt32LE(head.length, 4);
  head.copy(out, 8);
  let offset = start;
  for (const a of Object.values(stored.arrays)) {
    Buffer.from(a.buffer, a.byteOffset, a.byteLength).copy(out, offset);
    offset += pad8(a.byteLength);
  }
  mkdirSync(dirname(path), { recursive: true });
  atomicWrite(path, out);
}

export function readStored(path: string): Stored {
  const buf = readFileSync(path);
  if (buf.toString("latin1", 0, 4) !== MAGIC) throw new Error(`${path} is not a data-plane file`);
  const headLength = buf.readUInt32LE(4);
  const { header, layout } = JSON.parse(buf.toString("utf8", 8, 8 + headLength)) as {
    header: Record<string, unknown>;
    layout: { name: string; kind: ArrayKind; length: number }[];
  };
  let offset = pad8(8 + headLength);
  const arrays: Record<string, TypedArray> = {};
  for (const { name, kind, length } of layout) {
    const Ctor = CONSTRUCTORS[kind];
    const bytes = length * Ctor.BYTES_PER_ELEMENT;
    // Copy into a fresh, aligned buffer (the file buffer may be pooled and unaligned).
    const a = new Ctor(length);
    Buffer.from(a.buffer).set(buf.subarray(offset, offset + bytes));
    arrays[name] = a;
    offset += pad8(bytes);
  }
  return { header, arrays };
}
