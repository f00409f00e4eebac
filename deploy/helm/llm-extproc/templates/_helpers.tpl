{{/* Names and labels shared by every manifest. */}}
{{- define "llm-extproc.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "llm-extproc.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "llm-extproc.selectorLabels" -}}
app.kubernetes.io/name: {{ include "llm-extproc.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "llm-extproc.labels" -}}
{{ include "llm-extproc.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "llm-extproc.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{- define "llm-extproc.secretName" -}}
{{- default (include "llm-extproc.fullname" .) .Values.secrets.existingSecret -}}
{{- end -}}

{{- define "llm-extproc.hasSecret" -}}
{{- if or .Values.secrets.existingSecret .Values.secrets.values -}}true{{- end -}}
{{- end -}}

{{- define "llm-extproc.mode" -}}
{{- if not (has .Values.mode (list "standalone" "envoyGateway")) -}}
{{- fail (printf "mode: %q is neither standalone nor envoyGateway" .Values.mode) -}}
{{- end -}}
{{- .Values.mode -}}
{{- end -}}

{{/*
Where one config backend lives, as JSON {host, port, tls}: its `endpoint`, or its
provider's public API (the same defaults as the processor, docs/CONFIG.md).
Called with (list $name $backend).
*/}}
{{- define "llm-extproc.upstream" -}}
{{- $name := index . 0 -}}
{{- $b := index . 1 -}}
{{- $scheme := "https" -}}
{{- $host := "" -}}
{{- $port := 0 -}}
{{- if $b.endpoint -}}
{{- $u := urlParse $b.endpoint -}}
{{- $scheme = $u.scheme -}}
{{- $parts := splitList ":" $u.host -}}
{{- $host = first $parts -}}
{{- if gt (len $parts) 1 -}}{{- $port = last $parts | atoi -}}{{- end -}}
{{- else if eq $b.provider "openai" -}}{{- $host = "api.openai.com" -}}
{{- else if eq $b.provider "anthropic" -}}{{- $host = "api.anthropic.com" -}}
{{- else if eq $b.provider "gemini" -}}{{- $host = "generativelanguage.googleapis.com" -}}
{{- else if eq $b.provider "bedrock" -}}{{- $host = printf "bedrock-runtime.%s.amazonaws.com" (required (printf "config.backends.%s.region is required" $name) $b.region) -}}
{{- else if eq $b.provider "vertexai" -}}{{- $host = printf "%s-aiplatform.googleapis.com" (required (printf "config.backends.%s.location is required" $name) $b.location) -}}
{{- else -}}
{{- fail (printf "config.backends.%s: provider %s has no public endpoint; set endpoint" $name (toString $b.provider)) -}}
{{- end -}}
{{- if eq $port 0 -}}{{- $port = ternary 443 80 (eq $scheme "https") -}}{{- end -}}
{{- dict "host" $host "port" $port "tls" (eq $scheme "https") | toJson -}}
{{- end -}}

{{/* A DNS-label-safe name for one backend's resources. */}}
{{- define "llm-extproc.backendResource" -}}
{{- printf "%s-%s" (include "llm-extproc.fullname" (index . 0)) (index . 1) | lower | replace "_" "-" | replace "." "-" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Every container: a fixed non-root user, nothing writable but its volumes, no capabilities. */}}
{{- define "llm-extproc.containerSecurity" -}}
runAsNonRoot: true
runAsUser: {{ .uid }}
runAsGroup: {{ .uid }}
readOnlyRootFilesystem: true
allowPrivilegeEscalation: false
capabilities: { drop: [ALL] }
{{- end -}}

{{/*
The processor config as YAML: .Values.config (a map, or the file's text from
`--set-file config=FILE`), or one OpenAI backend when it is empty.
*/}}
{{- define "llm-extproc.config" -}}
{{- if kindIs "string" .Values.config -}}
{{- .Values.config | trim -}}
{{- else if .Values.config -}}
{{- toYaml .Values.config -}}
{{- else -}}
defaultBackend: openai
backends:
  openai:
    provider: openai
    authToken:
      kind: SecretRef
      secretRef: { file: /run/secrets/llm-extproc/openai }
{{- end -}}
{{- end -}}

{{/*
What of the config goes into Envoy's bootstrap with live config (standalone, liveConfig.enabled):
the config without the keys that reach Envoy through the live CDS/RDS files or concern the
processor alone (backends, pools, paths, models, clients, pricing, the selector header, the
default backend, the rate limit rules: they are on the route table). Whatever else the config
holds (listen, ports, limits, telemetry, processor, whether rateLimits is there and its
service) stays in, so a key unknown here rolls the pods rather than leaving an old bootstrap
(docs/LIVE-CONFIG.md, "What still needs a restart").
*/}}
{{- define "llm-extproc.bootstrapConfig" -}}
{{- $cfg := omit (include "llm-extproc.config" . | fromYaml) "backends" "pools" "paths" "models" "clients" "pricing" "selectorHeader" "defaultBackend" -}}
{{- if kindIs "map" $cfg.rateLimits -}}
{{- $_ := set $cfg "rateLimits" (omit $cfg.rateLimits "rules") -}}
{{- end -}}
{{- toYaml $cfg -}}
{{- end -}}

{{- define "llm-extproc.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "llm-extproc.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}
