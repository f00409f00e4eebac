// The Gemini request shapes the translators rely on (generateContent and its stream,
// embedContent, batchEmbedContents, countTokens), checked once before any translation:
// wrong types are a 400 naming the JSON path (`contents[0].parts[1].text`) in Google's
// error shape. Part kinds and fields the gateway does not model pass.
import type { Operation } from '../types.js';
import { array, at, object, type Obj, optArrayOf, optBool, optInt, optNested, optNumber, optObject, optString, optStrings, string } from '../validate.js';

function part(v: unknown, path: string): void {
  const p = object(v, path);
  optString(p, 'text', path);
  optBool(p, 'thought', path);
  optString(p, 'thoughtSignature', path);
  optNested(p, 'inlineData', path, (d, at) => (string(d, 'data', at), optString(d, 'mimeType', at)));
  optNested(p, 'fileData', path, (f, at) => (string(f, 'fileUri', at), optString(f, 'mimeType', at)));
  optNested(p, 'functionCall', path, (c, at) => (string(c, 'name', at), optObject(c, 'args', at)));
  optNested(p, 'functionResponse', path, (r, at) => (string(r, 'name', at), optObject(r, 'response', at)));
}

function content(v: unknown, path: string): void {
  const c = object(v, path);
  optString(c, 'role', path);
  array(c.parts, at(path, 'parts')).forEach((p, i) => part(p, at(at(path, 'parts'), i)));
}

function tool(v: unknown, path: string): void {
  const t = object(v, path);
  optArrayOf(t, 'functionDeclarations', path, (d, p) => {
    const o = object(d, p);
    string(o, 'name', p);
    optString(o, 'description', p);
    optObject(o, 'parameters', p);
  });
}

function generationConfig(b: Obj): void {
  if (b.generationConfig === undefined) return;
  const g = object(b.generationConfig, 'generationConfig');
  const p = 'generationConfig';
  optStrings(g, 'stopSequences', p);
  for (const k of ['candidateCount', 'maxOutputTokens', 'topK', 'seed', 'logprobs']) optInt(g, k, p);
  for (const k of ['temperature', 'topP', 'presencePenalty', 'frequencyPenalty']) optNumber(g, k, p);
  optString(g, 'responseMimeType', p);
  optObject(g, 'responseSchema', p);
  optBool(g, 'responseLogprobs', p);
  optObject(g, 'thinkingConfig', p);
}

function generate(b: Obj): void {
  array(b.contents, 'contents').forEach((c, i) => content(c, at('contents', i)));
  if (b.systemInstruction !== undefined) content(b.systemInstruction, 'systemInstruction');
  optArrayOf(b, 'tools', '', tool);
  optObject(b, 'toolConfig', '');
  optArrayOf(b, 'safetySettings', '', (s, p) => object(s, p));
  optString(b, 'cachedContent', '');
  generationConfig(b);
}

function embed(b: Obj): void {
  if (b.requests !== undefined) {
    array(b.requests, 'requests').forEach((r, i) => embed(object(r, at('requests', i))));
    return;
  }
  content(b.content, 'content');
  optString(b, 'model', '');
  optString(b, 'taskType', '');
  optInt(b, 'outputDimensionality', '');
}

function countTokens(b: Obj): void {
  optArrayOf(b, 'contents', '', content);
  if (b.generateContentRequest !== undefined) generate(object(b.generateContentRequest, 'generateContentRequest'));
}

const BY_OPERATION: Partial<Record<Operation, (b: Obj) => void>> = { chat: generate, embeddings: embed, other: countTokens };

export function validateGemini(operation: Operation, body: Obj): void {
  BY_OPERATION[operation]?.(body);
}
