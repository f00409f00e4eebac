// Gemini generateContent / streamGenerateContent in, Bedrock Converse / ConverseStream
// out: @google/genai clients reach Converse models. The request goes through the
// Anthropic Messages form Claude shares (anthropic/from-gemini-request.ts) and then
// the Anthropic -> Converse mapping (top_k and thinking as additionalModelRequestFields),
// so both Claude hosts read a Gemini request alike. JSON output (responseMimeType
// application/json) uses the tool trick the OpenAI translator uses: one forced tool
// whose input schema is the wanted JSON, its input returned as the answer's text. What
// Converse cannot take is refused first in Gemini's terms: file URIs (Converse takes
// bytes), JSON output beside function declarations, and function calling mode NONE in
// a conversation that holds function calls.
import { matchGeminiPath } from '../../dialects/gemini/index.js';
import type { GenerateContentRequest } from '../../dialects/gemini/types.js';
import { GatewayError } from '../../errors.js';
import { geminiToMessages } from '../anthropic/from-gemini-request.js';
import type { TranslationContext, UpstreamRequest } from '../types.js';
import { converseFromAnthropic } from './anthropic-request.js';
import { JSON_TOOL_DEFAULT } from './openai-request.js';
import { BedrockTranslator, type StreamRenderer } from './base.js';
import { GeminiEventWriter, geminiFromConverse } from './gemini-response.js';
import { converseHeaders, modelPath, REMOVE_REQUEST_HEADERS, requireModel, type ResponseIdentity } from './shared.js';

// Google SDK telemetry means nothing to AWS (and would be signed for nothing).
const REMOVE_HEADERS = [...REMOVE_REQUEST_HEADERS, 'x-goog-api-client'];

export class BedrockGeminiChat extends BedrockTranslator {
  private includeThoughts = false;
  private jsonTool: string | undefined;

  constructor(private readonly ctx: TranslationContext) {
    super('gemini');
  }

  request(body: unknown): UpstreamRequest {
    if (body === undefined) throw new GatewayError('invalid_json', 'a generateContent request needs a JSON body');
    const found = matchGeminiPath(this.ctx.path);
    const stream = found?.pathStream === true;
    this.modelId = requireModel(this.ctx.model, found?.pathModel);
    const req = body as GenerateContentRequest;
    const built = geminiToMessages(req, { stream, urls: false, jsonOutput: 'any', noneWithToolHistory: false });
    this.includeThoughts = built.includeThoughts;
    const messages = built.body;
    const format = messages.output_config?.format;
    delete messages.output_config;
    if (format && messages.tools && messages.tools.length > 0) {
      throw new GatewayError('unsupported_field', 'generationConfig.responseMimeType application/json cannot be combined with functionDeclarations on Bedrock: Converse expresses JSON output through a tool', 'generationConfig.responseMimeType');
    }
    // Anthropic needs max_tokens, Converse does not: without maxOutputTokens (or a thinking budget to
    // stay above) the model's own default applies, as it would on Gemini.
    if (req.generationConfig?.maxOutputTokens == null && messages.thinking === undefined) delete (messages as { max_tokens?: number }).max_tokens;
    delete messages.stream;
    const converse = converseFromAnthropic(messages, undefined);
    this.jsonTool = format ? JSON_TOOL_DEFAULT : undefined;
    if (format) {
      const description = "Respond with the JSON document the user asked for, as this tool's input.";
      converse.toolConfig = { tools: [{ toolSpec: { name: JSON_TOOL_DEFAULT, description, inputSchema: { json: format.schema } } }], toolChoice: { tool: { name: JSON_TOOL_DEFAULT } } };
    }
    return {
      path: modelPath(this.modelId, stream ? 'converse-stream' : 'converse'),
      body: Buffer.from(JSON.stringify(converse)),
      setHeaders: converseHeaders(stream),
      removeHeaders: REMOVE_HEADERS,
      model: this.modelId,
      stream,
    };
  }

  protected plain(json: unknown, id: ResponseIdentity): unknown {
    const { body, usage } = geminiFromConverse(json, id, this.modelId!, this.includeThoughts, this.jsonTool);
    this.seenUsage = usage;
    return body;
  }

  protected streamRenderer(id: ResponseIdentity): StreamRenderer {
    return new GeminiEventWriter(id, this.modelId!, this.includeThoughts, this.jsonTool);
  }
}
