/**
 * How a value is quoted in a message, for every part of the project: strings in double
 * quotes, everything else as JSON (`undefined` as itself). With `maxLength`, a longer string
 * is cut to that many characters, ending in `...`, so a message about a huge value stays
 * readable.
 */
export function show(value: unknown, maxLength?: number): string {
  if (typeof value === "string" && maxLength !== undefined && value.length > maxLength)
    return JSON.stringify(`${value.slice(0, Math.max(0, maxLength - 3))}...`);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
