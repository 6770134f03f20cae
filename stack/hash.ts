import { createHash } from "crypto";

/** sha256 of the bytes, hex: the import job's `dataHash`, and the keys of the program's records. */
export function sha256Hex(content: Buffer | string): string {
  return createHash("sha256").update(content).digest("hex");
}
