// Writes the OpenAI Responses event stream, in the order OpenAI sends it and the SDK's
// stream helper accumulates it: response.created, response.in_progress; per output item
// output_item.added, (a message) content_part.added, output_text.delta…, output_text.done,
// content_part.done, (a function call) function_call_arguments.delta…, .done, (a
// reasoning item, summaries asked for) reasoning_summary_part.added,
// reasoning_summary_text.delta…, .done, reasoning_summary_part.done; output_item.done
// (a reasoning item's encrypted_content, when it has one, first appears there);
// and last response.completed (or .incomplete) holding every item and the usage. Each
// event is `event: <type>` + `data: {type, sequence_number, …}`.
//
// Provider-neutral: a reader of one upstream stream (Anthropic events, chat.completion
// chunks) says what arrived; this writer keeps the output items, their indices and the
// sequence numbers.
import type { ResponseOutputItem, ResponsesUsage, ResponseStatus } from '../../dialects/openai/responses-types.js';
import { functionCallItem, messageItem, reasoningItem, type RequestEcho, type ResponseShell, responseObject } from './responses-objects.js';

interface OpenMessage {
  id: string;
  outputIndex: number;
  text: string;
}
interface OpenCall {
  id: string;
  outputIndex: number;
  callId: string;
  name: string;
  args: string;
}
interface OpenReasoning {
  id: string;
  outputIndex: number;
  text: string;
  key: number;
}

export class ResponsesEventWriter {
  private seq = 0;
  private shell: ResponseShell | undefined;
  private readonly output: ResponseOutputItem[] = [];
  private message: OpenMessage | undefined;
  private readonly calls = new Map<number, OpenCall>();
  private reasoning: OpenReasoning | undefined;

  constructor(private readonly echo: RequestEcho) {}

  get started(): boolean {
    return this.shell !== undefined;
  }

  get messageOpen(): boolean {
    return this.message !== undefined;
  }

  /** response.created and response.in_progress. */
  start(shell: ResponseShell): string {
    this.shell = shell;
    const r = responseObject(shell, 'in_progress', [], null);
    return this.send('response.created', { response: r }) + this.send('response.in_progress', { response: r });
  }

  /** Opens a message item (if none is open) with this id. */
  openMessage(id: string): string {
    if (this.message) return '';
    const outputIndex = this.output.length;
    this.message = { id, outputIndex, text: '' };
    this.output.push(messageItem(id, '', 'in_progress'));
    const item = { ...messageItem(id, '', 'in_progress'), content: [] };
    return (
      this.send('response.output_item.added', { output_index: outputIndex, item }) +
      this.send('response.content_part.added', { item_id: id, output_index: outputIndex, content_index: 0, part: textPart('') })
    );
  }

  /** Text for the open message (openMessage first). */
  text(delta: string): string {
    const m = this.message!;
    m.text += delta;
    return this.send('response.output_text.delta', { item_id: m.id, output_index: m.outputIndex, content_index: 0, delta, logprobs: [] });
  }

  closeMessage(): string {
    const m = this.message;
    if (!m) return '';
    this.message = undefined;
    const item = messageItem(m.id, m.text, 'completed');
    this.output[m.outputIndex] = item;
    return (
      this.send('response.output_text.done', { item_id: m.id, output_index: m.outputIndex, content_index: 0, text: m.text, logprobs: [] }) +
      this.send('response.content_part.done', { item_id: m.id, output_index: m.outputIndex, content_index: 0, part: textPart(m.text) }) +
      this.send('response.output_item.done', { output_index: m.outputIndex, item })
    );
  }

  hasCall(key: number): boolean {
    return this.calls.has(key);
  }

  /** A function call item under the reader's key (a content block or tool-call index); closes an open message first. */
  openCall(key: number, id: string, callId: string, name: string): string {
    const out = this.closeMessage();
    const call: OpenCall = { id, outputIndex: this.output.length, callId, name, args: '' };
    this.calls.set(key, call);
    this.output.push(functionCallItem(id, callId, name, '', 'in_progress'));
    return out + this.send('response.output_item.added', { output_index: call.outputIndex, item: functionCallItem(id, callId, name, '', 'in_progress') });
  }

  args(key: number, delta: string): string {
    const call = this.calls.get(key)!;
    call.args += delta;
    return this.send('response.function_call_arguments.delta', { item_id: call.id, output_index: call.outputIndex, delta });
  }

  closeCall(key: number): string {
    const call = this.calls.get(key);
    if (!call) return '';
    this.calls.delete(key);
    const item = functionCallItem(call.id, call.callId, call.name, call.args, 'completed');
    this.output[call.outputIndex] = item;
    return (
      this.send('response.function_call_arguments.done', { item_id: call.id, output_index: call.outputIndex, arguments: call.args }) +
      this.send('response.output_item.done', { output_index: call.outputIndex, item })
    );
  }

  /** Closes every open function call, in the order they opened. */
  closeCalls(): string {
    let out = '';
    for (const key of [...this.calls.keys()]) out += this.closeCall(key);
    return out;
  }

  /** The open reasoning item's key, if any. */
  get reasoningKey(): number | undefined {
    return this.reasoning?.key;
  }

  /** A reasoning item under the reader's key; closes an open message first. */
  openReasoning(key: number, id: string): string {
    let out = this.closeMessage();
    const r: OpenReasoning = { id, outputIndex: this.output.length, text: '', key };
    this.reasoning = r;
    this.output.push(reasoningItem(id, '', this.echo));
    out += this.send('response.output_item.added', { output_index: r.outputIndex, item: reasoningItem(id, '', this.echo) });
    if (this.summaries) out += this.send('response.reasoning_summary_part.added', { item_id: id, output_index: r.outputIndex, summary_index: 0, part: { type: 'summary_text', text: '' } });
    return out;
  }

  reasoningText(delta: string): string {
    const r = this.reasoning!;
    r.text += delta;
    return this.summaries ? this.send('response.reasoning_summary_text.delta', { item_id: r.id, output_index: r.outputIndex, summary_index: 0, delta }) : '';
  }

  /** Closes the open reasoning item; `encrypted` (its opaque state) arrives last, in the item's done event. */
  closeReasoning(encrypted?: string): string {
    const r = this.reasoning;
    if (!r) return '';
    this.reasoning = undefined;
    const item = reasoningItem(r.id, r.text, this.echo, encrypted);
    this.output[r.outputIndex] = item;
    let out = '';
    if (this.summaries) {
      out += this.send('response.reasoning_summary_text.done', { item_id: r.id, output_index: r.outputIndex, summary_index: 0, text: r.text });
      out += this.send('response.reasoning_summary_part.done', { item_id: r.id, output_index: r.outputIndex, summary_index: 0, part: { type: 'summary_text', text: r.text } });
    }
    return out + this.send('response.output_item.done', { output_index: r.outputIndex, item });
  }

  /** A reasoning item that holds only opaque state (no text, so no summary events): added and done at once. */
  encryptedReasoning(id: string, encrypted: string): string {
    const out = this.closeMessage() + this.closeReasoning();
    const outputIndex = this.output.length;
    const item = reasoningItem(id, '', this.echo, encrypted);
    this.output.push(item);
    return out + this.send('response.output_item.added', { output_index: outputIndex, item }) + this.send('response.output_item.done', { output_index: outputIndex, item });
  }

  /** Closes what is open (message, reasoning, calls in the order they opened) and sends the terminal event. */
  finish(status: ResponseStatus, usage: ResponsesUsage | null, incomplete: { reason: string } | null): string {
    const out = this.closeMessage() + this.closeReasoning() + this.closeCalls();
    const r = responseObject(this.shell!, status, this.output, usage, incomplete);
    return out + this.send(status === 'incomplete' ? 'response.incomplete' : 'response.completed', { response: r });
  }

  /** OpenAI's `error` event: the SDK raises it; nothing follows. */
  /**
   * The stream's error event: OpenAI's fields at the top, and the same under `error`, where
   * the Open Responses specification (and the Python SDK, which raises it) looks for them.
   */
  error(code: string, message: string): string {
    return this.send('error', { code, message, param: null, error: { type: 'server_error', code, message, param: null } });
  }

  private get summaries(): boolean {
    return this.echo.reasoning.summary !== null;
  }

  /** One event: `type` first (as OpenAI writes it), then its sequence number. */
  private send(type: string, fields: Record<string, unknown>): string {
    const data = JSON.stringify({ type, sequence_number: this.seq++, ...fields });
    return `event: ${type}\ndata: ${data}\n\n`;
  }
}

const textPart = (text: string) => ({ type: 'output_text', annotations: [], logprobs: [], text });
