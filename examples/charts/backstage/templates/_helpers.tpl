{{- define "backstage.labels" -}}
app.kubernetes.io/name: backstage
helm.sh/chart: {{ .Chart.Name }}-{{ .Chart.Version }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/component: backstage
{{- end -}}
{{- define "backstage.selector" -}}
app.kubernetes.io/name: backstage
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: backstage
{{- end -}}
