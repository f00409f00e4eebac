// OpenAI's Responses API in, OpenAI (or Azure OpenAI's v1 API) out: create, compact,
// input_tokens and the stored-response calls (retrieve, delete, cancel, input_items). Bodies
// go untouched unless a backend or route pins the model; answers, plain or streamed, pass
// byte-identical while the model and usage are read on the way: from the terminal event of a
// stream (response.completed, .incomplete, .failed; or an `error` event), found by its SSE
// event name, so that the deltas in between are never JSON-parsed. Only create and compact
// generate anything; the other calls are recorded with 0 tokens, never estimated.
import { TERMINAL_EVENTS, type ResponseObject, type ResponseOutputItem } from '../../dialects/openai/responses-types.js';
import { responsesTail } from '../../dialects/openai/index.js';
import { GatewayError } from '../../errors.js';
import { ResponseProgress, WholeBodyProgress } from '../../usage/progress.js';
import { SseParser } from '../../usage/sse.js';
import type { Usage } from '../../usage/types.js';
import { withBasePath } from '../shared/base-path.js';
import type { ResponseHeadersResult, TranslationContext, Translator, UpstreamRequest } from '../types.js';
import { fromResponsesUsage } from './responses-usage.js';

const MAX_PLAIN_SCAN_BYTES = 32 * 1024 * 1024;
/** Delta payloads kept for an estimate (by reference); past this an estimate undercounts rather than hoards. */
const MAX_KEPT_DELTAS = 100_000;
const NOTHING_COUNTED: Usage = { inputTokens: 0, outputTokens: 0, totalTokens: 0 };
const TERMINAL = new Set<string>(TERMINAL_EVENTS);

/** For providers that serve the same API under their own paths (Azure OpenAI's v1 API). */
export interface ResponsesHooks {
  /** Full upstream path with query, instead of `/v1/responses…` under the endpoint's base path. */
  path?: string;
  /** The model the body must name (Azure: the deployment); wins over the route's and the client's. */
  model?: string;
}

/** The OpenAI dialect's Responses API calls ('other' is its only token count, /responses/input_tokens). */
export function isResponsesCall(ctx: Pick<TranslationContext, 'operation'>): boolean {
  const op = ctx.operation;
  return op === 'responses' || op === 'responses_compact' || op === 'responses_state' || op === 'other';
}

export class OpenAIResponsesSameDialect implements Translator {
  /** Create and compact generate (and are billed); input_tokens and stored-response calls do not. */
  private readonly generates: boolean;
  private watching: 'no' | 'plain' | 'stream' = 'no';
  private readonly sse = new SseParser();
  private readonly plain: Buffer[] = [];
  private plainBytes = 0;
  private seenUsage: Usage = {};
  private model: string | undefined;
  /** The text-carrying delta events' payloads, parsed only when an estimate needs them. */
  private readonly deltas: string[] = [];
  private plainText: string | undefined;
  private readonly answer: ResponseProgress;

  constructor(
    private readonly ctx: TranslationContext,
    private readonly hooks: ResponsesHooks = {},
  ) {
    this.generates = ctx.operation === 'responses' || ctx.operation === 'responses_compact';
    this.answer = this.generates ? new ResponseProgress(() => (this.watching === 'stream' ? deltaText(this.deltas) : this.plainText)) : new WholeBodyProgress();
  }

  request(body: unknown): UpstreamRequest {
    const { ctx } = this;
    const tail = responsesTail(ctx.path) ?? '/responses';
    const path = this.hooks.path ?? withBasePath(ctx.backend, `/v1${tail}`) + (ctx.query ? `?${ctx.query}` : '');
    if (ctx.operation === 'responses_state') {
      // A stored response's id names everything: no body to read, no model to pin.
      return { path, stream: new URLSearchParams(ctx.query).get('stream') === 'true', model: this.hooks.model ?? ctx.model };
    }
    if (body === undefined) throw new GatewayError('invalid_json', 'a Responses API request needs a JSON body');
    const obj = body as Record<string, unknown>;
    const pinned = this.hooks.model ?? ctx.model;
    let changed = false;
    if (pinned !== undefined && obj.model !== pinned) {
      obj.model = pinned;
      changed = true;
    }
    // A stored prompt (`prompt: {id}`) may name the model itself.
    const promptNamesModel = obj.prompt !== null && typeof obj.prompt === 'object';
    if ((typeof obj.model !== 'string' || obj.model === '') && !promptNamesModel) {
      throw new GatewayError('missing_model', 'the request names no model, and neither does the backend or the route', 'model');
    }
    return {
      path,
      body: changed ? Buffer.from(JSON.stringify(obj)) : undefined,
      model: typeof obj.model === 'string' && obj.model !== '' ? obj.model : undefined,
      stream: ctx.operation === 'responses' && obj.stream === true,
    };
  }

  responseHeaders(status: number, headers: ReadonlyMap<string, string>): ResponseHeadersResult {
    const ok = status >= 200 && status < 300;
    const sse = (headers.get('content-type') ?? '').includes('text/event-stream');
    // A stored response streamed again (GET …?stream=true) is watched for its end only.
    if (ok && (this.generates || sse)) this.watching = sse ? 'stream' : 'plain';
    return { rewritesBody: false };
  }

  responseChunk(chunk: Buffer, end: boolean): undefined {
    if (this.watching === 'stream') {
      for (const ev of this.sse.push(chunk, end)) if (ev.data) this.observe(ev.event ?? eventType(ev.data), ev.data);
    } else if (this.watching === 'plain') {
      if (this.plainBytes < MAX_PLAIN_SCAN_BYTES) {
        this.plain.push(chunk);
        this.plainBytes += chunk.length;
      }
      if (end) this.scanPlain();
    } else if (end) {
      this.answer.markComplete();
    }
    return undefined;
  }

  usage(): Usage {
    return this.generates ? this.seenUsage : NOTHING_COUNTED;
  }

  responseModel(): string | undefined {
    return this.model;
  }

  progress(): ResponseProgress {
    return this.answer;
  }

  /** One stream event: deltas are kept as they are; the lifecycle events are parsed. */
  private observe(type: string | undefined, data: string): void {
    if (type === undefined) return;
    if (!this.generates) {
      if (TERMINAL.has(type)) this.answer.markComplete();
      return;
    }
    if (type.endsWith('.delta')) {
      if (isTextDelta(type) && this.deltas.length < MAX_KEPT_DELTAS) this.deltas.push(data);
      return;
    }
    const terminal = TERMINAL.has(type);
    if (!terminal && (this.model !== undefined || !type.startsWith('response.'))) return;
    let parsed: { response?: ResponseObject; code?: unknown };
    try {
      parsed = JSON.parse(data);
    } catch {
      return;
    }
    const r = parsed.response;
    if (typeof r?.model === 'string' && r.model !== '') this.model = r.model;
    if (!terminal) return;
    if (type === 'error') this.answer.finish(typeof parsed.code === 'string' && parsed.code !== '' ? parsed.code : 'error');
    else this.finished(r);
    this.answer.markComplete();
  }

  private finished(r: ResponseObject | undefined): void {
    if (!r) return;
    const usage = fromResponsesUsage(r.usage);
    if (usage) this.seenUsage = usage;
    this.answer.finish(statusReason(r));
  }

  private scanPlain(): void {
    const text = Buffer.concat(this.plain).toString('utf8');
    this.plain.length = 0;
    try {
      const parsed = JSON.parse(text) as ResponseObject;
      if (typeof parsed.model === 'string' && parsed.model !== '') this.model = parsed.model;
      this.seenUsage = fromResponsesUsage(parsed.usage) ?? {};
      if (Array.isArray(parsed.output)) this.plainText = parsed.output.map(itemText).join('');
      // A background create answers at once with status queued and no usage: its input is estimated.
      this.answer.finish(statusReason(parsed));
      this.answer.markComplete();
    } catch {
      // Not JSON (an upstream error page, a cut body): nothing to count, body untouched.
    }
  }
}

/** How a response ended, as its status says (an incomplete one names why: max_output_tokens, content_filter). */
function statusReason(r: ResponseObject): unknown {
  return r.status === 'incomplete' ? (r.incomplete_details?.reason ?? 'incomplete') : r.status;
}

/**
 * The `type` of an event that came without an `event:` line (compatible servers): its JSON's
 * first key, as OpenAI writes it, read without parsing; else the parsed event's.
 */
function eventType(data: string): string | undefined {
  const first = /^\s*\{\s*"type"\s*:\s*"([^"]+)"/.exec(data)?.[1];
  if (first !== undefined) return first;
  try {
    const type = (JSON.parse(data) as { type?: unknown }).type;
    return typeof type === 'string' ? type : undefined;
  } catch {
    return undefined;
  }
}

/** Deltas of generated text: the answer, refusals, tool-call arguments, reasoning and its summaries. */
function isTextDelta(type: string): boolean {
  return (
    type === 'response.output_text.delta' ||
    type === 'response.refusal.delta' ||
    type === 'response.function_call_arguments.delta' ||
    type === 'response.custom_tool_call_input.delta' ||
    type === 'response.reasoning_summary_text.delta' ||
    type === 'response.reasoning_text.delta'
  );
}

function deltaText(events: readonly string[]): string {
  let text = '';
  for (const data of events) {
    try {
      const d = (JSON.parse(data) as { delta?: unknown }).delta;
      if (typeof d === 'string') text += d;
    } catch {
      // A cut-off last event: count what parsed.
    }
  }
  return text;
}

function itemText(item: ResponseOutputItem): string {
  const i = item as { type?: unknown; content?: unknown; arguments?: unknown; summary?: unknown };
  let text = '';
  if (Array.isArray(i.content)) for (const c of i.content as { text?: unknown; refusal?: unknown }[]) text += str(c?.text) + str(c?.refusal);
  if (Array.isArray(i.summary)) for (const s of i.summary as { text?: unknown }[]) text += str(s?.text);
  return text + str(i.arguments);
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
