// Random bodies thrown at every (client dialect, provider) pair through the real processor.
// Each is refused with a 4xx in the client's shape (invalid_request and the other typed
// errors) or translated into an upstream request: never a 500, never a throw. The bodies are
// mostly well formed, with any JSON value in any place now and then, so that they get past
// the first check and reach into the validators and translators behind it.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { config, drive } from '../helpers/drive.js';

const creds = (f: string) => ({ file: `test/fixtures/openai-bedrock/_creds/${f}` });
const key = { kind: 'Inline', inline: 'k' };
const BACKENDS: Record<string, Record<string, unknown>> = {
  openai: { provider: 'openai', endpoint: 'http://127.0.0.1:9', authToken: key },
  anthropic: { provider: 'anthropic', endpoint: 'http://127.0.0.1:9', authToken: key },
  gemini: { provider: 'gemini', endpoint: 'http://127.0.0.1:9', authToken: key },
  bedrock: { provider: 'bedrock', region: 'us-east-1', endpoint: 'http://127.0.0.1:9', aws: { accessKeyId: creds('access-key-id'), secretAccessKey: creds('secret-access-key') } },
  azure: { provider: 'azureopenai', endpoint: 'http://127.0.0.1:9', apiVersion: '2024-10-21', authToken: key },
  vertexai: { provider: 'vertexai', projectId: 'p', location: 'us-central1', endpoint: 'http://127.0.0.1:9', authToken: { kind: 'Passthrough' } },
};

/** The client dialects each provider serves (others are a 404 unsupported_endpoint, and nothing to translate; an Anthropic count_tokens, a Gemini countTokens or a Responses input_tokens the gateway estimates counts as translated). */
const SERVES: Record<string, string[]> = { openai: ['openai', 'anthropic', 'gemini'], anthropic: ['openai', 'anthropic', 'gemini'], gemini: ['openai', 'anthropic', 'gemini'], bedrock: ['openai', 'anthropic', 'gemini'], azure: ['openai', 'anthropic', 'gemini'], vertexai: ['openai', 'anthropic', 'gemini'] };

const junk = fc.jsonValue({ maxDepth: 3 });
/** Mostly `arb`, sometimes any JSON at all. */
const or = <T>(arb: fc.Arbitrary<T>) => fc.oneof({ weight: 40, arbitrary: arb as fc.Arbitrary<unknown> }, { weight: 1, arbitrary: junk });
const text = fc.string({ maxLength: 20 });
const jsonObject = fc.dictionary(fc.string({ maxLength: 6 }), junk, { maxKeys: 3 });
const schema = fc.oneof(jsonObject, fc.constant({ type: 'object', properties: { q: { type: 'string' } }, required: ['q'] }));
/** One of the keys, drawn in proportion to its weight. */
const weighted = (w: Record<string, number>) => fc.oneof(...Object.entries(w).map(([v, weight]) => ({ weight, arbitrary: fc.constant(v) })));
const opt = <T extends Record<string, fc.Arbitrary<unknown>>>(shape: T, required: (keyof T)[] = []) => fc.record(shape, { requiredKeys: required as never });

const openaiPart = fc.oneof(
  fc.record({ type: fc.constant('text'), text: or(text) }),
  fc.record({ type: fc.constant('image_url'), image_url: or(fc.record({ url: or(fc.constantFrom('https://x/y.png', 'data:image/png;base64,iVBORw0KGgo=', 'data:bad')) })) }),
  fc.record({ type: fc.constantFrom('input_audio', 'file', 'refusal', 'future_type'), input_audio: junk, file: junk, refusal: junk }),
);
const openaiMessage = fc.record({
  role: or(weighted({ user: 4, assistant: 3, system: 1, developer: 1, tool: 1, function: 1 })),
  content: or(fc.oneof(text, fc.constant(null), fc.array(or(openaiPart), { maxLength: 3 }))),
  tool_calls: or(fc.array(or(fc.record({ id: or(text), type: or(fc.constant('function')), function: or(fc.record({ name: or(text), arguments: or(fc.oneof(text, fc.constant('{"a":1}'))) })) })), { maxLength: 2 })),
  tool_call_id: or(text),
  // Real clients seldom name a participant, and several providers refuse a name outright.
  name: fc.oneof({ weight: 9, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: or(text) }),
}, { requiredKeys: ['role'] });
const openaiChat = opt({
  model: or(fc.constantFrom('gpt-4o-mini', 'claude-sonnet-4-5', 'gemini-2.0-flash', 'anthropic.claude-3-haiku')),
  messages: or(fc.array(or(openaiMessage), { minLength: 1, maxLength: 4 })),
  tools: or(fc.array(or(fc.record({ type: or(fc.constant('function')), function: or(opt({ name: or(text), description: or(text), parameters: or(schema) }, ['name'])) })), { maxLength: 2 })),
  tool_choice: or(fc.oneof(fc.constantFrom('auto', 'none', 'required'), fc.record({ type: fc.constant('function'), function: fc.record({ name: text }) }))),
  max_tokens: or(fc.integer({ min: 1, max: 4096 })),
  temperature: or(fc.double({ min: 0, max: 2, noNaN: true })),
  n: or(fc.oneof({ weight: 9, arbitrary: fc.constant(1) }, { weight: 1, arbitrary: fc.integer({ min: 2, max: 3 }) })),
  stop: or(fc.oneof(text, fc.array(text, { maxLength: 3 }))),
  stream: or(fc.boolean()),
  stream_options: or(fc.record({ include_usage: or(fc.boolean()) })),
  response_format: or(fc.oneof(fc.record({ type: fc.constantFrom('text', 'json_object') }), fc.record({ type: fc.constant('json_schema'), json_schema: or(fc.record({ name: text, schema: or(schema) })) }))),
}, ['messages']);
const openaiEmbeddings = opt({ model: or(fc.constantFrom('text-embedding-3-small', 'amazon.titan-embed-text-v2:0', 'gemini-embedding-001')), input: or(fc.oneof(text, fc.array(text, { minLength: 1, maxLength: 2 }))), dimensions: or(fc.integer({ min: 1, max: 3072 })), encoding_format: or(fc.constantFrom('float', 'base64')) }, ['input']);
// The Responses API's input_tokens body: what create takes, counted rather than generated.
const responsesPart = fc.oneof(
  { weight: 4, arbitrary: fc.record({ type: fc.constantFrom('input_text', 'output_text'), text: or(text) }) },
  fc.record({ type: fc.constant('input_image'), image_url: or(fc.constantFrom('https://x/y.png', 'data:image/png;base64,iVBORw0KGgo=')) }),
  fc.record({ type: fc.constantFrom('refusal', 'input_file', 'future_part'), refusal: junk, file_id: junk }),
);
const responsesItem = fc.oneof(
  { weight: 4, arbitrary: fc.record({ role: or(weighted({ user: 4, assistant: 2, system: 1, developer: 1 })), content: or(fc.oneof(text, fc.array(or(responsesPart), { maxLength: 3 }))) }) },
  fc.record({ type: fc.constant('function_call'), call_id: or(fc.constantFrom('call_1', 'call_2')), name: or(text), arguments: or(fc.constantFrom('{}', '{"a":1}', 'not json')) }),
  fc.record({ type: fc.constant('function_call_output'), call_id: or(fc.constantFrom('call_1', 'call_2')), output: or(fc.oneof(text, fc.array(or(responsesPart), { maxLength: 2 }))) }),
  fc.record({ type: fc.constantFrom('reasoning', 'web_search_call', 'future_item'), summary: or(fc.array(fc.record({ type: fc.constant('summary_text'), text }), { maxLength: 1 })) }),
);
const responsesInputTokens = opt({
  model: or(fc.constantFrom('gpt-4o-mini', 'claude-sonnet-4-5', 'gemini-2.0-flash', 'anthropic.claude-3-haiku')),
  instructions: or(text),
  input: or(fc.oneof(text, fc.array(or(responsesItem), { minLength: 1, maxLength: 4 }))),
  tools: or(fc.array(or(fc.oneof(fc.record({ type: fc.constant('function'), name: or(text), description: or(text), parameters: or(schema) }), fc.record({ type: fc.constant('web_search') }))), { maxLength: 2 })),
  tool_choice: or(fc.constantFrom('auto', 'none', 'required')),
  previous_response_id: fc.oneof({ weight: 9, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: or(text) }),
  text: or(fc.record({ format: or(fc.record({ type: fc.constantFrom('text', 'json_object') })) })),
  reasoning: or(fc.record({ effort: or(fc.constantFrom('low', 'high')) })),
}, ['input']);
const openaiCompletions = opt({ model: or(fc.constant('gpt-3.5-turbo-instruct')), prompt: or(fc.oneof(text, fc.array(text, { maxLength: 2 }))), max_tokens: or(fc.integer({ min: 1, max: 100 })), stream: or(fc.boolean()) });

const anthropicBlock = fc.oneof(
  fc.record({ type: fc.constant('text'), text: or(text) }),
  fc.record({ type: fc.constant('image'), source: or(fc.oneof(fc.record({ type: fc.constant('base64'), media_type: fc.constant('image/png'), data: text }), fc.record({ type: fc.constant('url'), url: text }))) }),
  fc.record({ type: fc.constant('tool_use'), id: or(text), name: or(text), input: or(jsonObject) }),
  fc.record({ type: fc.constant('tool_result'), tool_use_id: or(text), content: or(fc.oneof(text, fc.array(fc.record({ type: fc.constant('text'), text }), { maxLength: 2 }))), is_error: or(fc.boolean()) }),
  fc.record({ type: fc.constantFrom('thinking', 'redacted_thinking', 'document', 'server_tool_use', 'search_result'), thinking: junk, signature: junk, data: junk, source: junk }),
);
const anthropicMessages = opt({
  model: or(fc.constantFrom('claude-sonnet-4-5', 'gpt-4o-mini', 'gemini-2.0-flash', 'anthropic.claude-3-haiku')),
  max_tokens: or(fc.integer({ min: 1, max: 4096 })),
  messages: or(fc.array(or(fc.record({ role: or(fc.constantFrom('user', 'assistant')), content: or(fc.oneof(text, fc.array(or(anthropicBlock), { maxLength: 3 }))) })), { minLength: 1, maxLength: 4 })),
  system: or(fc.oneof(text, fc.array(fc.record({ type: fc.constant('text'), text: or(text) }), { maxLength: 2 }))),
  tools: or(fc.array(or(opt({ name: or(text), description: or(text), input_schema: or(schema), type: fc.constantFrom('custom', 'web_search_20250305') }, ['name', 'input_schema'])), { maxLength: 2 })),
  tool_choice: or(fc.record({ type: fc.constantFrom('auto', 'any', 'tool', 'none'), name: or(text) }, { requiredKeys: ['type'] })),
  stop_sequences: or(fc.array(text, { maxLength: 2 })),
  temperature: or(fc.double({ min: 0, max: 1, noNaN: true })),
  stream: or(fc.boolean()),
  thinking: or(fc.record({ type: fc.constantFrom('enabled', 'disabled'), budget_tokens: or(fc.integer({ min: 1024, max: 4096 })) })),
}, ['messages']);

// Text parts are what real conversations mostly hold; calls and responses drawn at random rarely pair up.
const geminiPart = fc.oneof(
  { weight: 5, arbitrary: fc.record({ text: or(text) }) },
  fc.record({ inlineData: or(fc.record({ mimeType: or(fc.constant('image/png')), data: or(text) })) }),
  fc.record({ functionCall: or(fc.record({ name: or(text), args: or(jsonObject) })) }),
  fc.record({ functionResponse: or(fc.record({ name: or(text), response: or(jsonObject) })) }),
  fc.record({ fileData: or(fc.record({ fileUri: or(text), mimeType: or(text) })) }),
);
const geminiContent = fc.record({ role: or(fc.constantFrom('user', 'model', 'function')), parts: or(fc.array(or(geminiPart), { minLength: 1, maxLength: 3 })) }, { requiredKeys: ['parts'] });
/** Real clients write their system instruction as text; now and then anything else. */
const geminiSystem = fc.oneof({ weight: 4, arbitrary: fc.record({ parts: fc.array(fc.record({ text: or(text) }), { minLength: 1, maxLength: 2 }) }) }, { weight: 1, arbitrary: or(geminiContent) });
const geminiGenerate = opt({
  contents: or(fc.array(or(geminiContent), { minLength: 1, maxLength: 3 })),
  systemInstruction: geminiSystem,
  tools: or(fc.array(or(fc.record({ functionDeclarations: or(fc.array(or(opt({ name: or(text), description: or(text), parameters: or(schema) })), { maxLength: 2 })) })), { maxLength: 2 })),
  generationConfig: or(opt({ temperature: or(fc.double({ min: 0, max: 2, noNaN: true })), maxOutputTokens: or(fc.integer({ min: 1, max: 2048 })), responseMimeType: or(fc.constantFrom('application/json', 'text/plain')), responseSchema: or(schema), stopSequences: or(fc.array(text, { maxLength: 2 })) })),
}, ['contents']);
/** Now and then: taskType and title, which only some providers' embeddings express. */
const rarely = <T>(arb: fc.Arbitrary<T>) => fc.oneof({ weight: 4, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: or(arb) });
const geminiEmbedOne = opt({ content: or(geminiContent), taskType: rarely(fc.constantFrom('RETRIEVAL_QUERY', 'RETRIEVAL_DOCUMENT')), title: rarely(text), outputDimensionality: or(fc.integer({ min: 1, max: 3072 })) }, ['content']);
const geminiEmbed = opt({ requests: or(fc.array(or(fc.record({ model: or(fc.constant('models/e')), content: or(geminiContent) })), { minLength: 1, maxLength: 2 })) }, ['requests']);

interface Client {
  dialect: string;
  /** Path and the body generator that belongs to it. */
  calls: [path: string, body: fc.Arbitrary<unknown>][];
  headers?: Record<string, string>;
}

const CLIENTS: Client[] = [
  { dialect: 'openai', calls: [...Array.from({ length: 4 }, (): [string, fc.Arbitrary<unknown>] => ['/v1/chat/completions', openaiChat]), ['/v1/embeddings', openaiEmbeddings], ['/v1/completions', openaiCompletions], ['/v1/responses/input_tokens', responsesInputTokens]] },
  { dialect: 'anthropic', calls: [['/v1/messages', anthropicMessages], ['/v1/messages', anthropicMessages], ['/v1/messages/count_tokens', anthropicMessages]], headers: { 'anthropic-version': '2023-06-01' } },
  {
    dialect: 'gemini',
    calls: [
      ['/v1beta/models/gemini-2.0-flash:generateContent', geminiGenerate],
      ['/v1beta/models/gemini-2.0-flash:streamGenerateContent', geminiGenerate],
      // Chat twice as often, as for OpenAI clients: it is what most providers translate.
      ['/v1beta/models/gemini-2.0-flash:generateContent', geminiGenerate],
      ['/v1beta/models/gemini-2.0-flash:streamGenerateContent', geminiGenerate],
      ['/v1beta/models/e:batchEmbedContents', geminiEmbed],
      ['/v1beta/models/e:embedContent', geminiEmbedOne],
      ['/v1beta/models/amazon.titan-embed-text-v2:0:embedContent', geminiEmbedOne],
      ['/v1beta/models/gemini-2.0-flash:countTokens', geminiGenerate],
    ],
  },
];

const call = (c: Client) => fc.oneof(...c.calls.map(([path, body]) => fc.tuple(fc.constant(path), body)));

describe('hostile bodies never crash a translator', () => {
  for (const client of CLIENTS) {
    for (const [name, backend] of Object.entries(BACKENDS)) {
      it(`${client.dialect} client -> ${name}: a 4xx or an upstream request, never a 500`, async () => {
        const cfg = config({ defaultBackend: 'b', backends: { b: backend } });
        let translated = 0;
        await fc.assert(
          fc.asyncProperty(call(client), async ([path, b]) => {
            const res = await drive(cfg, { path, body: b, headers: { authorization: 'Bearer ya29.client', ...client.headers } });
            const counts = path.endsWith('/count_tokens') || path.endsWith(':countTokens') || path.endsWith('/input_tokens');
            if (res.immediate && counts && res.immediate.status === 200) {
              // A provider without a counting API: the gateway counts itself, and says it estimated.
              const why = JSON.stringify(res.immediate.body);
              expect(res.immediate.headers['x-llm-tokens-estimated'], why).toBe('true');
              const answer = path.endsWith(':countTokens') ? { totalTokens: expect.any(Number) } : path.endsWith('/input_tokens') ? { object: 'response.input_tokens', input_tokens: expect.any(Number) } : { input_tokens: expect.any(Number) };
              expect(res.immediate.body, why).toEqual(answer);
              translated++;
            } else if (res.immediate) {
              const why = JSON.stringify(res.immediate.body);
              expect(res.immediate.status, why).toBeGreaterThanOrEqual(400);
              expect(res.immediate.status, why).toBeLessThan(500);
            } else {
              expect(res.upstream?.headers[':path']).toBeDefined();
              translated++;
            }
          }),
          { numRuns: 300 },
        );
        // The generator is meant to get through: a run that only met the first check proves little.
        if (SERVES[name]!.includes(client.dialect)) expect(translated, 'bodies that reached a translator').toBeGreaterThan(5);
      });
    }
  }
});
