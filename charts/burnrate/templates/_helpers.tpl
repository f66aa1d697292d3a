{{/* The release's full name: the release name, or "burnrate" inside it. */}}
{{- define "burnrate.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else if contains "burnrate" .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-burnrate" .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "burnrate.selectorLabels" -}}
app.kubernetes.io/name: burnrate
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "burnrate.labels" -}}
{{ include "burnrate.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/component: controller
app.kubernetes.io/part-of: burnrate
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "burnrate.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "burnrate.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "burnrate.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{- define "burnrate.leaderNamespace" -}}
{{- default .Release.Namespace .Values.leaderElection.namespace -}}
{{- end -}}

{{/* Alert routing is on when both Secrets are named. */}}
{{- define "burnrate.routing" -}}
{{- if and .Values.alertmanager.baseSecret.name .Values.alertmanager.targetSecret.name -}}true{{- end -}}
{{- end -}}

{{- define "burnrate.baseSecretNamespace" -}}
{{- default .Release.Namespace .Values.alertmanager.baseSecret.namespace -}}
{{- end -}}

{{- define "burnrate.targetSecretNamespace" -}}
{{- default .Release.Namespace .Values.alertmanager.targetSecret.namespace -}}
{{- end -}}

{{/* The rules burnrate needs where SLOs live (namespaced or cluster-wide). Server-side
apply is authorized as patch, and as create when the object does not exist yet. */}}
{{- define "burnrate.sloRules" -}}
- apiGroups: [burnrate.dev]
  resources: [servicelevelobjectives]
  verbs: [list, watch]
- apiGroups: [burnrate.dev]
  resources: [servicelevelobjectives/status]
  verbs: [update]
{{- if eq .Values.target "victoriametrics" }}
- apiGroups: [operator.victoriametrics.com]
  resources: [vmrules]
  verbs: [list, watch, create, patch]
{{- else }}
- apiGroups: [monitoring.coreos.com]
  resources: [prometheusrules]
  verbs: [list, watch, create, patch]
{{- end }}
- apiGroups: [""]
  resources: [events]
  verbs: [create]
{{- end -}}
