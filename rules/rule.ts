/**
 * The shape of every rule in rules/: what the providers' `check`, the stack config and the
 * emulator test a string against, and the words their messages use for a value that breaks it.
 * One home per rule: a copy that drifts accepts in a preview what the service refuses at
 * deploy time, or the reverse.
 *
 * Only values that survive Pulumi's closure serialization (the providers' code is serialized
 * with what it captures): regular expressions, strings, numbers, arrays. No Sets or Maps.
 */

/** A rule for a string: its pattern, its length limits, and the words a message uses for it. */
export interface StringRule {
  readonly pattern: RegExp;
  /** Length limits checked apart from the pattern (with their own message), where there are any. */
  readonly min?: number;
  readonly max?: number;
  /** What a message says of a value that breaks the rule, after the property and the value. */
  readonly problem: string;
}

/** A rule whose length limits are checked apart from its pattern. */
export interface SizedRule extends StringRule {
  readonly min: number;
  readonly max: number;
}

/** Whether a string follows a rule: its length within the limits and its pattern matched. */
export function follows(rule: StringRule, value: string): boolean {
  if (rule.min !== undefined && value.length < rule.min) return false;
  if (rule.max !== undefined && value.length > rule.max) return false;
  return rule.pattern.test(value);
}
