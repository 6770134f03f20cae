// Interactions files for the stack tests, in the workshop's six-column format.

export const HEADER = "ANONYMOUS_ID,USER_ID,ITEM_ID,EVENT_TYPE,TIMESTAMP_ISO,TIMESTAMP";

/**
 * `rows` interactions spread over `users` users and 11 items, one a minute. With the defaults
 * it meets Personalize's minimums (1000 interactions, 25 users with two or more).
 */
export function interactionsCsv(rows = 1200, users = 40, eventType = "Product Clicked"): string {
  const lines = [HEADER];
  for (let i = 0; i < rows; i++) {
    const t = 1_600_000_000 + i * 60;
    const iso = new Date(t * 1000).toISOString();
    lines.push(
      `anon-${i % users},${1000000000 + (i % users)},item-${i % 11},${eventType},${iso},${t}`,
    );
  }
  return lines.join("\n") + "\n";
}
