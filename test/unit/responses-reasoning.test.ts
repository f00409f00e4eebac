// Reasoning for Responses clients over the chat translations: the chat writers say the
// provider's reasoning (reasoning_content) only when they serve the Responses adapter, the
// adapter makes reasoning items of it, and Gemini's thought signatures go out as a
// reasoning item's encrypted_content and come back on the following function call.
import { describe, expect, it } from 'vitest';
import type { ResponseOutputItem } from '../../src/dialects/openai/responses-types.js';
import type { ChatCompletion } from '../../src/dialects/openai/types.js';
import { toOpenAICompletion } from '../../src/providers/anthropic/openai-response.js';
import { AnthropicToOpenAIStream } from '../../src/providers/anthropic/openai-stream.js';
import { OpenAIChunkWriter, openAIFromConverse } from '../../src/providers/bedrock/openai-response.js';
import { OpenAIChatToGemini } from '../../src/providers/gemini/openai-chat.js';
import { aiStudioTarget } from '../../src/providers/gemini/target.js';
import { ChatToResponsesStream, responseFromCompletion } from '../../src/providers/shared/responses-from-chat.js';
import { requestEcho } from '../../src/providers/shared/responses-objects.js';
import { ResponsesOverChat } from '../../src/providers/shared/responses-over-chat.js';
import { responsesAsks, responsesToChat, type ResponsesTarget } from '../../src/providers/shared/responses-request.js';
import type { Message } from '../../src/dialects/anthropic/types.js';
import { GatewayError } from '../../src/errors.js';
import { SseParser } from '../../src/usage/sse.js';
import { ctx } from '../providers/gemini/ctx.js';

const TARGET: ResponsesTarget = { name: 'Gemini', model: 'a Gemini model', api: "Gemini's generateContent API" };
const SIG = 'CiQBVKhc7sig==';

/** The SSE text's events as {event, data} with data parsed. */
function events(text: string): { event?: string; data: Record<string, any> }[] {
  return new SseParser().push(Buffer.from(text)).map((e) => ({ event: e.event, data: JSON.parse(e.data!) as Record<string, any> }));
}

const chunk = (delta: Record<string, unknown>, finish: string | null = null) =>
  JSON.stringify({ id: 'chatcmpl-Abc', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta, finish_reason: finish }] });

function stream(deltas: Record<string, unknown>[], opts: { summary?: string; encrypted?: boolean } = {}) {
  const s = new ChatToResponsesStream(requestEcho({ reasoning: { summary: opts.summary ?? null } }), { encryptedReasoning: opts.encrypted === true });
  let out = '';
  deltas.forEach((d, i) => (out += s.data(chunk(d, i === deltas.length - 1 ? 'tool_calls' : null))));
  out += s.data('[DONE]');
  const evs = events(out);
  return { evs, types: evs.map((e) => e.event), output: evs.at(-1)!.data.response.output as ResponseOutputItem[] };
}

const call = (index: number, id: string, sig?: string) => ({
  index,
  id,
  type: 'function',
  function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
  ...(sig ? { extra_content: { google: { thought_signature: sig } } } : {}),
});

describe('chat stream -> Responses reasoning items', () => {
  it('reasoning_content opens a reasoning item before the message; its text is the summary, streamed, only when asked for', () => {
    const deltas = [{ role: 'assistant', reasoning_content: 'Think ' }, { reasoning_content: 'hard.' }, { content: 'Answer.' }];
    const asked = stream(deltas, { summary: 'auto' });
    expect(asked.output.map((o) => o.type)).toEqual(['reasoning', 'message']);
    expect(asked.output[0]).toEqual({ id: 'rs_Abc', type: 'reasoning', summary: [{ type: 'summary_text', text: 'Think hard.' }] });
    expect(asked.evs.filter((e) => e.event === 'response.reasoning_summary_text.delta').map((e) => e.data.delta)).toEqual(['Think ', 'hard.']);
    // The reasoning item is done before the message begins.
    expect(asked.types.indexOf('response.reasoning_summary_part.done')).toBeLessThan(asked.types.indexOf('response.content_part.added'));

    const silent = stream(deltas);
    expect(silent.output[0]).toEqual({ id: 'rs_Abc', type: 'reasoning', summary: [] });
    expect(silent.types.some((t) => t!.startsWith('response.reasoning_summary'))).toBe(false);
  });

  it('a thought signature rides on the reasoning item right before its call, only with include reasoning.encrypted_content', () => {
    const deltas = [{ role: 'assistant', reasoning_content: 'Look it up.' }, { tool_calls: [call(0, 'call_1', SIG)] }];
    const asked = stream(deltas, { encrypted: true });
    expect(asked.output).toMatchObject([{ type: 'reasoning', id: 'rs_Abc', encrypted_content: `thought_signature:${SIG}` }, { type: 'function_call', call_id: 'call_1' }]);
    const done = asked.evs.find((e) => e.event === 'response.output_item.done' && e.data.item.type === 'reasoning')!;
    expect(done.data.item.encrypted_content).toBe(`thought_signature:${SIG}`);

    const notAsked = stream(deltas);
    expect(notAsked.output[0]).toEqual({ id: 'rs_Abc', type: 'reasoning', summary: [] });
    expect(JSON.stringify(notAsked.evs)).not.toContain(SIG);
  });

  it('text between the reasoning and the call: the signature gets a reasoning item of its own, added and done at once', () => {
    const { output, evs } = stream([{ role: 'assistant', reasoning_content: 'Hmm.' }, { content: 'Checking.' }, { tool_calls: [call(0, 'call_1', SIG), call(1, 'call_2')] }], { encrypted: true, summary: 'auto' });
    expect(output.map((o) => [o.type, o.id])).toEqual([['reasoning', 'rs_Abc'], ['message', 'msg_Abc'], ['reasoning', 'rs_Abc_1'], ['function_call', 'fc_1'], ['function_call', 'fc_2']]);
    expect(output[0]).not.toHaveProperty('encrypted_content');
    expect(output[2]).toEqual({ id: 'rs_Abc_1', type: 'reasoning', summary: [], encrypted_content: `thought_signature:${SIG}` });
    // No summary events for the signature's item: it has no text.
    expect(evs.filter((e) => e.data.item_id === 'rs_Abc_1')).toEqual([]);
  });

  it('reasoning after a call closes the call first', () => {
    const { output } = stream([{ role: 'assistant', tool_calls: [call(0, 'call_1')] }, { reasoning_content: 'Then more.' }, { content: 'Done.' }]);
    expect(output.map((o) => [o.type, (o as { status?: string }).status])).toEqual([['function_call', 'completed'], ['reasoning', undefined], ['message', 'completed']]);
  });
});

describe('chat completion -> Responses reasoning items', () => {
  const completion = (message: Record<string, unknown>) =>
    ({ id: 'chatcmpl-Abc', object: 'chat.completion', created: 1, model: 'm', choices: [{ index: 0, message: { role: 'assistant', content: null, ...message }, finish_reason: 'tool_calls' }] }) as unknown as ChatCompletion;
  const output = (message: Record<string, unknown>, encrypted: boolean) => responseFromCompletion(completion(message), requestEcho({ reasoning: { summary: 'auto' } }), { encryptedReasoning: encrypted }).output;
  const tc = (id: string, sig?: string) => ({ id, type: 'function', function: { name: 'f', arguments: '{}' }, ...(sig ? { extra_content: { google: { thought_signature: sig } } } : {}) });

  it('reasoning first, then the message, then the calls; the signature merges into the reasoning item just before its call', () => {
    expect(output({ reasoning_content: 'Why.', tool_calls: [tc('call_1', SIG)] }, true)).toEqual([
      { id: 'rs_Abc', type: 'reasoning', summary: [{ type: 'summary_text', text: 'Why.' }], encrypted_content: `thought_signature:${SIG}` },
      { id: 'fc_1', type: 'function_call', status: 'completed', arguments: '{}', call_id: 'call_1', name: 'f' },
    ]);
    expect(output({ reasoning_content: 'Why.', content: 'Let me see.', tool_calls: [tc('call_1', SIG)] }, true).map((o) => [o.type, o.id, 'encrypted_content' in o])).toEqual([
      ['reasoning', 'rs_Abc', false],
      ['message', 'msg_Abc', false],
      ['reasoning', 'rs_Abc_1', true],
      ['function_call', 'fc_1', false],
    ]);
  });

  it('without include reasoning.encrypted_content, no signature and no item for it', () => {
    expect(output({ tool_calls: [tc('call_1', SIG)] }, false).map((o) => o.type)).toEqual(['function_call']);
    expect(output({ content: 'Hi.' }, true).map((o) => o.type)).toEqual(['message']);
  });
});

describe('Responses request -> chat: reasoning items and include', () => {
  const fc = { type: 'function_call', call_id: 'call_1', name: 'f', arguments: '{}' } as const;
  const out = { type: 'function_call_output', call_id: 'call_1', output: 'ok' } as const;
  const ours = { type: 'reasoning', summary: [], encrypted_content: `thought_signature:${SIG}` } as const;
  const calls = (input: unknown[]) => responsesToChat({ input: input as never }, TARGET).chat.messages.flatMap((m) => m.tool_calls ?? []);

  it("the gateway's own encrypted_content puts the signature on the following function call's extra_content", () => {
    expect(calls([{ role: 'user', content: 'hi' }, ours, { role: 'assistant', content: 'Checking.' }, fc, out])).toEqual([
      { id: 'call_1', type: 'function', function: { name: 'f', arguments: '{}' }, extra_content: { google: { thought_signature: SIG } } },
    ]);
  });

  it("OpenAI's own encrypted reasoning is dropped; a signature does not cross a user turn or reach a second call", () => {
    expect(calls([{ type: 'reasoning', summary: [], encrypted_content: 'gAAAAABoXyZ' }, fc, out])).toEqual([{ id: 'call_1', type: 'function', function: { name: 'f', arguments: '{}' } }]);
    expect(calls([ours, { role: 'user', content: 'never mind' }, fc, out])[0]).not.toHaveProperty('extra_content');
    const two = calls([ours, fc, { ...fc, call_id: 'call_2' }, out, { ...out, call_id: 'call_2' }]);
    expect(two.map((c) => 'extra_content' in c)).toEqual([true, false]);
  });

  it('include message.output_text.logprobs is refused; reasoning.summary reaches a wrapped translator beside the chat request, not in it', () => {
    const refused = (() => {
      try {
        responsesToChat({ input: 'hi', include: ['message.output_text.logprobs'] }, TARGET);
      } catch (e) {
        return e as GatewayError;
      }
    })();
    expect(refused).toMatchObject({ code: 'unsupported_field', param: 'include' });
    const { chat } = responsesToChat({ input: 'hi', reasoning: { summary: 'auto' }, include: ['reasoning.encrypted_content'] }, TARGET);
    expect(responsesAsks(chat)).toEqual({ reasoningSummary: true });
    expect(Object.keys(chat)).toEqual(['messages']);
    expect(JSON.stringify(chat)).not.toContain('summary');
    expect(responsesAsks(responsesToChat({ input: 'hi' }, TARGET).chat)).toEqual({ reasoningSummary: false });
  });
});

describe('the chat writers say reasoning only for the Responses adapter', () => {
  it('Bedrock Converse: reasoningContent text as reasoning_content with reasoning on, nothing without', () => {
    const res = { output: { message: { role: 'assistant', content: [{ reasoningContent: { reasoningText: { text: 'Hmm.', signature: 'sig' } } }, { text: 'Yes.' }] } }, stopReason: 'end_turn' };
    const id = { id: 'x', created: 1 };
    expect(openAIFromConverse(res, id, 'm', undefined).body.choices[0]!.message).toEqual({ role: 'assistant', content: 'Yes.', refusal: null });
    expect(openAIFromConverse(res, id, 'm', undefined, true).body.choices[0]!.message).toEqual({ role: 'assistant', content: 'Yes.', refusal: null, reasoning_content: 'Hmm.' });
    const delta = (reasoning: boolean) => new OpenAIChunkWriter(id, 'm', false, undefined, reasoning).event('contentBlockDelta', { contentBlockIndex: 0, delta: { reasoningContent: { text: 'Hmm.' } } });
    expect(delta(false)).toBe('');
    expect(JSON.parse(delta(true).slice(6)).choices[0].delta).toEqual({ reasoning_content: 'Hmm.' });
  });

  it('Claude (Vertex): thinking blocks and thinking_delta as reasoning_content with reasoning on, nothing without', () => {
    const msg = { id: 'msg_1', type: 'message', role: 'assistant', model: 'claude', content: [{ type: 'thinking', thinking: 'Hmm.', signature: 's' }, { type: 'text', text: 'Yes.' }], stop_reason: 'end_turn', usage: { input_tokens: 1, output_tokens: 2 } } as unknown as Message;
    expect(toOpenAICompletion(msg, 1).choices[0]!.message).not.toHaveProperty('reasoning_content');
    expect(toOpenAICompletion(msg, 1, true).choices[0]!.message).toMatchObject({ content: 'Yes.', reasoning_content: 'Hmm.' });
    const thinking = (reasoning: boolean) => {
      const s = new AnthropicToOpenAIStream({ includeUsage: false, created: 1, reasoning });
      s.event({ type: 'message_start', message: { id: 'msg_1', model: 'claude', usage: { input_tokens: 1, output_tokens: 1 } } } as never);
      s.event({ type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: '' } } as never);
      return s.event({ type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'Hmm.' } } as never);
    };
    expect(thinking(false)).toBe('');
    expect(JSON.parse(thinking(true).slice(6)).choices[0].delta).toEqual({ reasoning_content: 'Hmm.' });
  });

  it('Gemini: thought parts and includeThoughts only for the Responses operation', () => {
    const body = { candidates: [{ content: { role: 'model', parts: [{ text: 'Hmm.', thought: true }, { text: 'Yes.' }] }, finishReason: 'STOP', index: 0 }], responseId: 'r1', modelVersion: 'gemini-2.5-flash' };
    const chat = new OpenAIChatToGemini(ctx(), aiStudioTarget({}));
    const up = chat.request({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'hi' }] });
    expect(JSON.parse(up.body!.toString())).not.toHaveProperty('generationConfig');
    chat.responseHeaders(200, new Map([['content-type', 'application/json']]));
    expect(JSON.parse(chat.responseChunk(Buffer.from(JSON.stringify(body)), true).toString()).choices[0].message).toEqual({ role: 'assistant', content: 'Yes.' });

    const responses = new ResponsesOverChat(new OpenAIChatToGemini(ctx({ operation: 'responses', path: '/v1/responses' }), aiStudioTarget({})), TARGET);
    const upR = responses.request({ model: 'gemini-2.5-flash', input: 'hi', reasoning: { summary: 'auto' } });
    expect(JSON.parse(upR.body!.toString()).generationConfig).toEqual({ thinkingConfig: { includeThoughts: true } });
    responses.responseHeaders(200, new Map([['content-type', 'application/json']]));
    const r = JSON.parse(responses.responseChunk(Buffer.from(JSON.stringify(body)), true)!.toString());
    expect(r.output.map((o: ResponseOutputItem) => o.type)).toEqual(['reasoning', 'message']);
    expect(r.output[0].summary).toEqual([{ type: 'summary_text', text: 'Hmm.' }]);
  });

  it('Gemini stream through the adapter: thoughts, text, then a call with its signature as separate reasoning item', () => {
    const ev = (parts: unknown[], extra: Record<string, unknown> = {}) => `data: ${JSON.stringify({ candidates: [{ content: { role: 'model', parts }, index: 0, ...extra }], modelVersion: 'gemini-3-pro-preview', responseId: 'g1' })}\r\n\r\n`;
    const t = new ResponsesOverChat(new OpenAIChatToGemini(ctx({ operation: 'responses', path: '/v1/responses' }), aiStudioTarget({})), TARGET);
    t.request({ model: 'gemini-3-pro-preview', stream: true, input: 'weather?', reasoning: { summary: 'auto' }, include: ['reasoning.encrypted_content'] });
    t.responseHeaders(200, new Map([['content-type', 'text/event-stream']]));
    const sse = ev([{ text: 'Need the tool.', thought: true }]) + ev([{ text: 'Checking.' }]) + ev([{ functionCall: { name: 'get_weather', args: { city: 'Paris' } }, thoughtSignature: SIG }], { finishReason: 'STOP' });
    const out = events(t.responseChunk(Buffer.from(sse), true)!.toString());
    const final = out.at(-1)!.data.response;
    expect(out.at(-1)!.event).toBe('response.completed');
    expect(final.output.map((o: ResponseOutputItem) => [o.type, o.id])).toEqual([['reasoning', 'rs_g1'], ['message', 'msg_g1'], ['reasoning', 'rs_g1_1'], ['function_call', 'fc_g1_0']]);
    expect(final.output[0].summary).toEqual([{ type: 'summary_text', text: 'Need the tool.' }]);
    expect(final.output[2].encrypted_content).toBe(`thought_signature:${SIG}`);
  });
});
