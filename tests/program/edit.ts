import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";

/**
 * Replaces `before` with `after` in `file` of the project (copy) at `root`; returns the undo,
 * which writes the text back as it was.
 */
export function editFile(root: string, file: string, before: string, after: string): () => void {
  const at = path.join(root, file);
  const text = fs.readFileSync(at, "utf8");
  assert.ok(text.includes(before), `${file} has no ${before}`);
  fs.writeFileSync(at, text.replace(before, after));
  return () => fs.writeFileSync(at, text);
}
