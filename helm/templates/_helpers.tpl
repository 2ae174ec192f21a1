{{/* Chart name, at most 63 characters. */}}
{{- define "qfn.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Release-wide name prefix (63-character DNS limit); the release name alone when it holds the chart name. */}}
{{- define "qfn.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* Name of one component's resources: <fullname>-<component>. Call with (dict "root" $ "component" "publish"). */}}
{{- define "qfn.componentName" -}}
{{- printf "%s-%s" (include "qfn.fullname" .root) .component | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "qfn.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels selecting one component's pods. Call with (dict "root" $ "component" "store-message"). */}}
{{- define "qfn.selectorLabels" -}}
app.kubernetes.io/name: {{ include "qfn.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/* Labels of every resource of a component. */}}
{{- define "qfn.labels" -}}
helm.sh/chart: {{ include "qfn.chart" .root }}
{{ include "qfn.selectorLabels" . }}
app.kubernetes.io/part-of: qfn
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
{{- with .root.Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{- define "qfn.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "qfn.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* Image reference. Call with (dict "root" $ "image" .Values.publish.image "name" "qfn-publish"). */}}
{{- define "qfn.image" -}}
{{- $repository := default .name .image.repository }}
{{- $registry := .root.Values.global.imageRegistry }}
{{- $tag := .image.tag | default .root.Values.global.imageTag | default .root.Chart.AppVersion }}
{{- if $registry }}
{{- printf "%s/%s:%s" (trimSuffix "/" $registry) $repository (toString $tag) }}
{{- else }}
{{- printf "%s:%s" $repository (toString $tag) }}
{{- end }}
{{- end }}

{{/* The queue KEDA watches for a function: the rule of functionQueueName (shared/src/queue/names.ts), restated here because the prefix is an install-time value; test/k8s/queue-names.test.ts holds the two equal. */}}
{{- define "qfn.queueName" -}}
{{- if eq .root.Values.broker.type "rabbitmq" }}
{{- printf "%s.%s" .root.Values.broker.queuePrefix .function }}
{{- else }}
{{- printf "%s-%s" (replace "." "_" .root.Values.broker.queuePrefix) .function }}
{{- end }}
{{- end }}

{{/* An env entry read from existingSecret. Call with (dict "root" $ "name" "DATABASE_URL" "key" "..." "optional" false). */}}
{{- define "qfn.secretEnv" -}}
- name: {{ .name }}
  valueFrom:
    secretKeyRef:
      name: {{ .root.Values.existingSecret }}
      key: {{ .key }}
      {{- if .optional }}
      optional: true
      {{- end }}
{{- end }}

{{/*
Environment every qfn process reads: broker, database, logging, telemetry. Call with
(dict "root" $ "service" "store-message" "workload" (dict "kind" "deployment" "name" "<its Deployment's name>")); kind is deployment or job.
*/}}
{{- define "qfn.commonEnv" -}}
{{- $v := .root.Values -}}
- name: LOG_LEVEL
  value: {{ $v.observability.logLevel | quote }}
- name: BROKER
  value: {{ $v.broker.type | quote }}
- name: QUEUE_PREFIX
  value: {{ $v.broker.queuePrefix | quote }}
- name: DATABASE_SCHEMA
  value: {{ $v.database.schema | quote }}
{{ include "qfn.secretEnv" (dict "root" .root "name" "DATABASE_URL" "key" $v.secretKeys.databaseUrl) }}
{{- if eq $v.broker.type "rabbitmq" }}
{{ include "qfn.secretEnv" (dict "root" .root "name" "AMQP_URL" "key" $v.secretKeys.amqpUrl) }}
{{ include "qfn.secretEnv" (dict "root" .root "name" "RABBITMQ_MANAGEMENT_URL" "key" $v.secretKeys.rabbitmqManagementUrl "optional" true) }}
{{- else }}
- name: AWS_REGION
  value: {{ $v.broker.sqs.region | quote }}
{{- with $v.broker.sqs.endpoint }}
- name: SQS_ENDPOINT
  value: {{ . | quote }}
{{- end }}
{{ include "qfn.secretEnv" (dict "root" .root "name" "AWS_ACCESS_KEY_ID" "key" $v.secretKeys.awsAccessKeyId "optional" true) }}
{{ include "qfn.secretEnv" (dict "root" .root "name" "AWS_SECRET_ACCESS_KEY" "key" $v.secretKeys.awsSecretAccessKey "optional" true) }}
{{- end }}
- name: OTEL_SERVICE_NAME
  value: {{ .service | quote }}
{{- /* The downward API first: OTEL_RESOURCE_ATTRIBUTES refers to these with $(NAME), which needs them defined above it. */}}
- name: POD_NAME
  valueFrom:
    fieldRef:
      fieldPath: metadata.name
- name: POD_NAMESPACE
  valueFrom:
    fieldRef:
      fieldPath: metadata.namespace
- name: NODE_NAME
  valueFrom:
    fieldRef:
      fieldPath: spec.nodeName
{{- $attributes := list (printf "service.name=%s" .service) (printf "service.namespace=%s" .root.Release.Name) "k8s.namespace.name=$(POD_NAMESPACE)" "k8s.pod.name=$(POD_NAME)" "k8s.node.name=$(NODE_NAME)" (printf "k8s.%s.name=%s" .workload.kind .workload.name) }}
{{- range $key, $value := $v.observability.resourceAttributes }}
{{- $attributes = append $attributes (printf "%s=%s" $key (toString $value)) }}
{{- end }}
- name: OTEL_RESOURCE_ATTRIBUTES
  value: {{ join "," $attributes | quote }}
{{- with $v.observability.otlp.endpoint }}
- name: OTEL_EXPORTER_OTLP_ENDPOINT
  value: {{ . | quote }}
- name: OTEL_EXPORTER_OTLP_PROTOCOL
  value: {{ $v.observability.otlp.protocol | quote }}
- name: OTEL_METRIC_EXPORT_INTERVAL
  value: {{ $v.observability.otlp.metricExportIntervalMillis | quote }}
{{ include "qfn.secretEnv" (dict "root" $.root "name" "OTEL_EXPORTER_OTLP_HEADERS" "key" $v.secretKeys.otlpHeaders "optional" true) }}
{{- end }}
{{- $sampler := $v.observability.tracesSampler | default dict }}
{{- with $sampler.name }}
- name: OTEL_TRACES_SAMPLER
  value: {{ . | quote }}
{{- end }}
{{- if ne (toString ($sampler.arg | default "")) "" }}
- name: OTEL_TRACES_SAMPLER_ARG
  value: {{ $sampler.arg | toString | quote }}
{{- end }}
{{- if $v.observability.prometheus.enabled }}
- name: METRICS_PORT
  value: {{ $v.observability.prometheus.port | quote }}
{{- end }}
{{- end }}

{{/* Extra plain env from a map. */}}
{{- define "qfn.extraEnv" -}}
{{- range $name, $value := . }}
- name: {{ $name }}
  value: {{ $value | toString | quote }}
{{- end }}
{{- end }}

{{/* Prometheus scrape annotations, when metrics are on. */}}
{{- define "qfn.scrapeAnnotations" -}}
{{- if .Values.observability.prometheus.enabled }}
prometheus.io/scrape: "true"
prometheus.io/port: {{ .Values.observability.prometheus.port | quote }}
prometheus.io/path: /metrics
{{- end }}
{{- end }}

{{/* The writable /tmp of every pod (the root filesystem is read-only). */}}
{{- define "qfn.tmpVolume" -}}
- name: tmp
  emptyDir:
    sizeLimit: {{ .Values.tmpSizeLimit }}
{{- end }}

{{- define "qfn.tmpMount" -}}
- name: tmp
  mountPath: /tmp
{{- end }}

{{/* Scheduling settings shared by every pod. */}}
{{- define "qfn.scheduling" -}}
{{- with .Values.global.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/* Name of the TriggerAuthentication the queue triggers use. */}}
{{- define "qfn.triggerAuthName" -}}
{{- include "qfn.componentName" (dict "root" . "component" (printf "%s-auth" .Values.broker.type)) }}
{{- end }}

{{- /* "true" when an enabled function asks for the publish function's push scaler (scaling.pushActivation). */}}
{{- define "qfn.pushScalerEnabled" -}}
{{- $on := false }}
{{- range $name, $fn := .Values.functions }}
{{- if and $fn.enabled $fn.scaling.pushActivation }}{{ $on = true }}{{ end }}
{{- end }}
{{- if $on }}true{{ end }}
{{- end }}

{{- /* host:port of the push scaler as KEDA's operator (in its own namespace) reaches it: the publish Service's FQDN. */}}
{{- define "qfn.pushScalerAddress" -}}
{{- printf "%s.%s.svc.cluster.local:%d" (include "qfn.componentName" (dict "root" . "component" "publish")) .Release.Namespace (int .Values.publish.pushScaler.port) }}
{{- end }}

{{- /*
Liveness and readiness probes on a named container port: /healthz and /readyz, what the consumers' health
server (HEALTH_PORT) and an HTTP function's app (runHttpFunction, on PORT) answer. Call with the port's name.
*/}}
{{- define "qfn.probes" -}}
livenessProbe:
  httpGet:
    path: /healthz
    port: {{ . }}
  periodSeconds: 10
  failureThreshold: 3
readinessProbe:
  httpGet:
    path: /readyz
    port: {{ . }}
  periodSeconds: 5
  failureThreshold: 2
{{- end }}
