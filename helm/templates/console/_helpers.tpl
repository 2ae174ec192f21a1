{{/* The publish pods' ServiceAccount when the console reads the Kubernetes API. */}}
{{- define "qfn.consoleServiceAccountName" -}}
{{- include "qfn.componentName" (dict "root" . "component" "console") }}
{{- end }}
