// Loose structural matching for fixtures: "<any>" matches any present value,
// "re:..." a regular expression, null in a header map means "absent".
export function mismatches(expected: unknown, actual: unknown, at = '$'): string[] {
  if (expected === '<any>') return actual === undefined ? [`${at}: missing`] : [];
  if (typeof expected === 'string' && expected.startsWith('re:')) {
    return typeof actual === 'string' && new RegExp(expected.slice(3)).test(actual) ? [] : [`${at}: ${JSON.stringify(actual)} !~ /${expected.slice(3)}/`];
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return [`${at}: expected array, got ${JSON.stringify(actual)}`];
    const out: string[] = [];
    if (expected.length !== actual.length) out.push(`${at}: length ${actual.length} != ${expected.length}`);
    expected.forEach((e, i) => out.push(...mismatches(e, actual[i], `${at}[${i}]`)));
    return out;
  }
  if (expected && typeof expected === 'object') {
    if (!actual || typeof actual !== 'object' || Array.isArray(actual)) return [`${at}: expected object, got ${JSON.stringify(actual)}`];
    const out: string[] = [];
    const a = actual as Record<string, unknown>;
    for (const [k, v] of Object.entries(expected)) out.push(...mismatches(v, a[k], `${at}.${k}`));
    for (const k of Object.keys(a)) if (!(k in (expected as object))) out.push(`${at}.${k}: unexpected ${JSON.stringify(a[k])}`);
    return out;
  }
  return Object.is(expected, actual) ? [] : [`${at}: ${JSON.stringify(actual)} != ${JSON.stringify(expected)}`];
}

/** Header expectations: only listed keys are checked; null means the header must be absent. */
export function headerMismatches(expected: Record<string, string | null>, actual: Record<string, string>): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(expected)) {
    if (v === null) {
      if (actual[k] !== undefined) out.push(`header ${k}: should be absent, is ${JSON.stringify(actual[k])}`);
    } else out.push(...mismatches(v, actual[k], `header ${k}`));
  }
  return out;
}
