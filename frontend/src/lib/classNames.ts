// Joining class names, most of them from CSS modules (`styles.row`), some only when a condition holds.

/** The class names given, skipping false, null, undefined and ''. */
export function cx(...names: Array<string | false | null | undefined>): string {
  return names.filter(Boolean).join(' ');
}
