// A Gemini request's tools and toolConfig read once for every translation that takes Gemini
// clients to another model (Claude, OpenAI): function declarations as name, description and
// JSON Schema; functionCallingConfig as which call the model may or must make. Built-in tools
// (googleSearch, codeExecution…) and fields the other side has no place for are a 400
// unsupported_field naming them, in words that name the target.
import { GatewayError } from '../../errors.js';
import { fromGeminiSchema } from './json-schema.js';
import type { GeminiFunctionDeclaration, GeminiTool, GeminiToolConfig } from './types.js';

/** How refusals name the model a translation writes for. */
export interface ToolTarget {
  /** "a Claude model", "an OpenAI model" */
  model: string;
  /** "Claude", "OpenAI" */
  name: string;
  /** What a tool is called there: "Claude tool", "OpenAI function" */
  tool: string;
}

export interface FunctionDecl {
  name: string;
  description?: string;
  /** The parameters' JSON Schema; undefined when the declaration gives none. */
  schema?: Record<string, unknown>;
}

/** What functionCallingConfig allows: any call or none (auto), no call, one named, or one of `names` (all declared when empty). */
export type FunctionChoice = { kind: 'auto' } | { kind: 'none' } | { kind: 'one'; name: string } | { kind: 'any'; names: string[] };

const unsupported = (param: string, why: string): never => {
  throw new GatewayError('unsupported_field', `${param} ${why}`, param);
};

const present = (v: unknown): boolean => v !== undefined && v !== null;

/** Every function declaration of `tools`, in order. */
export function readFunctionDeclarations(tools: GeminiTool[] | undefined, target: ToolTarget): FunctionDecl[] {
  return (tools ?? []).flatMap((t, i) => {
    const at = `tools[${i}]`;
    for (const key of Object.keys(t)) {
      if (key !== 'functionDeclarations' && present(t[key])) unsupported(`${at}.${key}`, `is a Gemini built-in tool ${target.model} cannot run`);
    }
    return (t.functionDeclarations ?? []).map((d, j) => declaration(d, `${at}.functionDeclarations[${j}]`, target));
  });
}

function declaration(d: GeminiFunctionDeclaration & { parametersJsonSchema?: unknown }, at: string, target: ToolTarget): FunctionDecl {
  for (const [key, value] of Object.entries(d)) {
    if (!['name', 'description', 'parameters', 'parametersJsonSchema'].includes(key) && present(value)) unsupported(`${at}.${key}`, `has no ${target.tool} field`);
  }
  const out: FunctionDecl = { name: d.name };
  if (d.description !== undefined) out.description = d.description;
  if (present(d.parametersJsonSchema)) out.schema = d.parametersJsonSchema as Record<string, unknown>;
  else if (d.parameters) out.schema = fromGeminiSchema(d.parameters, `${at}.parameters`);
  return out;
}

export const FUNCTION_CALLING = 'toolConfig.functionCallingConfig';

/** toolConfig's functionCallingConfig as a choice among the `declared` functions; undefined when it says nothing. */
export function readFunctionCalling(tc: GeminiToolConfig, declared: string[], target: ToolTarget): FunctionChoice | undefined {
  for (const key of Object.keys(tc)) if (key !== 'functionCallingConfig' && present((tc as Record<string, unknown>)[key])) unsupported(`toolConfig.${key}`, `has no ${target.name} equivalent`);
  const fc = tc.functionCallingConfig;
  if (!fc) return undefined;
  const p = FUNCTION_CALLING;
  const names: unknown = fc.allowedFunctionNames ?? [];
  if (!Array.isArray(names) || !names.every((n) => typeof n === 'string')) return unsupported(`${p}.allowedFunctionNames`, 'must be a list of function names');
  const mode = fc.mode ?? 'AUTO';
  if (names.length > 0 && mode !== 'ANY') unsupported(`${p}.allowedFunctionNames`, 'only applies with mode ANY');
  if (mode === 'AUTO' || (mode as string) === 'MODE_UNSPECIFIED') return { kind: 'auto' };
  if (mode === 'NONE') return { kind: 'none' };
  if (mode !== 'ANY') return unsupported(`${p}.mode`, `"${String(mode)}" has no ${target.name} tool_choice`);
  if (names.length === 1) return { kind: 'one', name: names[0]! };
  // "One of these": the other side names one tool or any, so the others go undeclared.
  if (names.length > 1 && !declared.some((d) => names.includes(d))) unsupported(`${p}.allowedFunctionNames`, 'names no declared function');
  return { kind: 'any', names };
}
