/**
 * Interns string ids (user ids, item ids, event types) to dense integers, so the data and
 * the models live in typed arrays instead of per-interaction objects.
 */
export class Vocabulary {
  readonly ids: string[];
  private readonly index = new Map<string, number>();

  constructor(ids: readonly string[] = []) {
    this.ids = [];
    for (const id of ids) this.intern(id);
  }

  get size(): number {
    return this.ids.length;
  }

  /** The id's integer, assigning the next one on first sight. */
  intern(id: string): number {
    let n = this.index.get(id);
    if (n === undefined) {
      n = this.ids.length;
      this.ids.push(id);
      this.index.set(id, n);
    }
    return n;
  }

  /** The id's integer, or -1 when it was never interned. */
  get(id: string): number {
    return this.index.get(id) ?? -1;
  }
}
