// Types for scripts/gen-compat.mjs (a plain script; test/docs imports it).
export const PAGE: string;
export function classify(dialect: string, dir: string, c: Record<string, any>): { op: string; features: string[] };
export function collect(): Record<string, Record<string, Record<string, Record<string, string>>>>;
export function render(cells?: ReturnType<typeof collect>): string;
