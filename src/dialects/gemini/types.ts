// Wire types of Google's Gemini API (AI Studio `generativelanguage` and Vertex AI
// `aiplatform` share them), as far as the translators read or write them. Unknown
// fields are allowed: Google adds fields (grounding, citations…) faster than any gateway.

export interface GeminiBlob {
  mimeType: string;
  /** Base64 bytes. */
  data: string;
}

export interface GeminiFileData {
  mimeType?: string;
  fileUri: string;
}

export interface GeminiFunctionCall {
  /** Set by newer models; absent on older ones (the gateway then makes one up). */
  id?: string;
  name: string;
  args?: Record<string, unknown>;
}

export interface GeminiFunctionResponse {
  id?: string;
  name: string;
  response: Record<string, unknown>;
}

export interface GeminiPart {
  text?: string;
  /** True for a thought summary part (thinking models with includeThoughts). */
  thought?: boolean;
  /** Opaque signature a thinking model needs back on the next turn. */
  thoughtSignature?: string;
  inlineData?: GeminiBlob;
  fileData?: GeminiFileData;
  functionCall?: GeminiFunctionCall;
  functionResponse?: GeminiFunctionResponse;
  [extra: string]: unknown;
}

export type GeminiRole = 'user' | 'model' | 'function';

export interface GeminiContent {
  role?: GeminiRole;
  parts: GeminiPart[];
}

/** The OpenAPI-3 subset Gemini takes for function parameters and responseSchema. */
export interface GeminiSchema {
  type?: string;
  format?: string;
  title?: string;
  description?: string;
  nullable?: boolean;
  enum?: unknown[];
  items?: GeminiSchema;
  properties?: Record<string, GeminiSchema>;
  required?: string[];
  anyOf?: GeminiSchema[];
  [constraint: string]: unknown;
}

export interface GeminiFunctionDeclaration {
  name: string;
  description?: string;
  parameters?: GeminiSchema;
}

export interface GeminiTool {
  functionDeclarations?: GeminiFunctionDeclaration[];
  [builtin: string]: unknown;
}

export type GeminiFunctionCallingMode = 'AUTO' | 'ANY' | 'NONE' | 'VALIDATED';

export interface GeminiToolConfig {
  functionCallingConfig?: { mode?: GeminiFunctionCallingMode; allowedFunctionNames?: string[] };
}

export interface GeminiThinkingConfig {
  thinkingBudget?: number;
  thinkingLevel?: string;
  includeThoughts?: boolean;
}

export interface GeminiGenerationConfig {
  stopSequences?: string[];
  candidateCount?: number;
  maxOutputTokens?: number;
  temperature?: number;
  topP?: number;
  topK?: number;
  seed?: number;
  presencePenalty?: number;
  frequencyPenalty?: number;
  responseMimeType?: string;
  responseSchema?: GeminiSchema;
  /** Full JSON Schema (v1beta and Vertex): an alternative to responseSchema. */
  responseJsonSchema?: unknown;
  responseLogprobs?: boolean;
  logprobs?: number;
  thinkingConfig?: GeminiThinkingConfig;
  [extra: string]: unknown;
}

export interface GenerateContentRequest {
  contents: GeminiContent[];
  systemInstruction?: GeminiContent;
  tools?: GeminiTool[];
  toolConfig?: GeminiToolConfig;
  generationConfig?: GeminiGenerationConfig;
  safetySettings?: unknown[];
  cachedContent?: string;
  [extra: string]: unknown;
}

export type GeminiFinishReason =
  | 'FINISH_REASON_UNSPECIFIED'
  | 'STOP'
  | 'MAX_TOKENS'
  | 'SAFETY'
  | 'RECITATION'
  | 'LANGUAGE'
  | 'OTHER'
  | 'BLOCKLIST'
  | 'PROHIBITED_CONTENT'
  | 'SPII'
  | 'MALFORMED_FUNCTION_CALL'
  | 'IMAGE_SAFETY'
  | (string & {});

export interface GeminiLogprobsCandidate {
  token?: string;
  tokenId?: number;
  logProbability?: number;
}

export interface GeminiLogprobsResult {
  topCandidates?: { candidates?: GeminiLogprobsCandidate[] }[];
  chosenCandidates?: GeminiLogprobsCandidate[];
}

export interface GeminiCandidate {
  index?: number;
  content?: GeminiContent;
  finishReason?: GeminiFinishReason;
  finishMessage?: string;
  safetyRatings?: unknown[];
  logprobsResult?: GeminiLogprobsResult;
  [extra: string]: unknown;
}

export interface GeminiUsageMetadata {
  promptTokenCount?: number;
  candidatesTokenCount?: number;
  totalTokenCount?: number;
  cachedContentTokenCount?: number;
  thoughtsTokenCount?: number;
  toolUsePromptTokenCount?: number;
  [extra: string]: unknown;
}

export interface GenerateContentResponse {
  candidates?: GeminiCandidate[];
  promptFeedback?: { blockReason?: string; safetyRatings?: unknown[] };
  usageMetadata?: GeminiUsageMetadata;
  modelVersion?: string;
  responseId?: string;
  /** Vertex only. */
  createTime?: string;
  [extra: string]: unknown;
}

export interface EmbedContentRequest {
  model?: string;
  content: GeminiContent;
  taskType?: string;
  title?: string;
  outputDimensionality?: number;
}

export interface BatchEmbedContentsRequest {
  requests: EmbedContentRequest[];
}

export interface BatchEmbedContentsResponse {
  embeddings?: { values?: number[] }[];
  usageMetadata?: GeminiUsageMetadata;
}

/** Google's error body (AIP-193); Vertex sometimes wraps it in a one-element array. */
export interface GoogleErrorBody {
  error: { code?: number; message?: string; status?: string; details?: unknown[] };
}
