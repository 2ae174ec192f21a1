{{/*
A pre-install/pre-upgrade hook Job running the migration image. Call with
(dict "root" $ "component" "migrate" "weight" "-10" "entry" "migrate.mjs" "env" (list ...) "description" "...").
It runs before the release's other resources exist: the database and broker are external, the Secret is
existingSecret, and the ServiceAccount is hooks.serviceAccountName (default: the namespace's).
*/}}
{{- define "qfn.hookJob" -}}
{{- $root := .root }}
{{- $ctx := dict "root" $root "component" .component }}
apiVersion: batch/v1
kind: Job
metadata:
  name: {{ include "qfn.componentName" $ctx }}
  labels:
    {{- include "qfn.labels" $ctx | nindent 4 }}
  annotations:
    helm.sh/hook: pre-install,pre-upgrade
    helm.sh/hook-weight: {{ .weight | quote }}
    helm.sh/hook-delete-policy: before-hook-creation,hook-succeeded
    qfn.dev/description: {{ .description | quote }}
spec:
  backoffLimit: {{ $root.Values.migrations.backoffLimit }}
  activeDeadlineSeconds: {{ $root.Values.migrations.activeDeadlineSeconds }}
  template:
    metadata:
      labels:
        {{- include "qfn.selectorLabels" $ctx | nindent 8 }}
    spec:
      restartPolicy: Never
      {{- with $root.Values.hooks.serviceAccountName }}
      serviceAccountName: {{ . }}
      {{- end }}
      automountServiceAccountToken: false
      securityContext:
        {{- toYaml $root.Values.podSecurityContext | nindent 8 }}
      {{- with include "qfn.scheduling" $root }}{{ . | nindent 6 }}{{ end }}
      containers:
        - name: {{ .component }}
          image: {{ include "qfn.image" (dict "root" $root "image" $root.Values.migrations.image "name" "qfn-migrate") }}
          imagePullPolicy: {{ $root.Values.global.imagePullPolicy }}
          args: [{{ .entry | quote }}]
          env:
            {{- include "qfn.commonEnv" (dict "root" $root "service" .component "workload" (dict "kind" "job" "name" (include "qfn.componentName" $ctx))) | nindent 12 }}
            {{- toYaml .env | nindent 12 }}
          resources:
            {{- toYaml $root.Values.migrations.resources | nindent 12 }}
          securityContext:
            {{- toYaml $root.Values.securityContext | nindent 12 }}
          volumeMounts:
            {{- include "qfn.tmpMount" $root | nindent 12 }}
      volumes:
        {{- include "qfn.tmpVolume" $root | nindent 8 }}
{{- end }}
