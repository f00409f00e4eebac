// Types for scripts/kube-schemas.mjs (a plain script setup runs; the chart tests import it).
export const KUBERNETES_VERSION: string;
export const CRD_SOURCES: { module: string; version: string; files: string[] }[];
export function moduleDir(module: string, version: string): string;
export function downloadModules(): void;
export function convert(outDir: string): Promise<{ kubernetes: number; crds: string[] }>;
