// A TranslationContext for driving Gemini translators directly, without the processor.
import { gemini } from '../../../src/providers/gemini/index.js';
import type { TranslationContext } from '../../../src/providers/types.js';

export function ctx(over: Partial<TranslationContext> = {}): TranslationContext {
  const options = over.options ?? {};
  return {
    backend: { name: 'b', provider: gemini, scheme: 'http', host: '127.0.0.1', port: 9, authority: '127.0.0.1:9', basePath: '', options },
    dialect: 'openai',
    operation: 'chat',
    path: '/v1/chat/completions',
    query: '',
    options,
    requestHeaders: new Map(),
    ...over,
  };
}
