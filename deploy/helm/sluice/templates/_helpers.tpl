{{/* Names and labels. */}}
{{- define "sluice.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "sluice.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 50 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "sluice.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "sluice.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: sluice
{{- end -}}

{{/* Selector labels of one role: (dict "root" $ "role" "api") */}}
{{- define "sluice.selectorLabels" -}}
app.kubernetes.io/name: {{ include "sluice.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .role }}
{{- end -}}

{{- define "sluice.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "sluice.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* The image of one role: (dict "root" $ "role" "api"); a digest wins over the tag. */}}
{{- define "sluice.image" -}}
{{- $v := .root.Values.image -}}
{{- $repo := printf "%s-%s" $v.repository .role -}}
{{- $digest := get ($v.digests | default dict) .role -}}
{{- if $digest -}}
{{- printf "%s@%s" $repo $digest -}}
{{- else -}}
{{- printf "%s:%s" $repo (default .root.Chart.AppVersion $v.tag) -}}
{{- end -}}
{{- end -}}

{{/*
The roles the chart runs, as data: values key, command, health port and the
WF_* setting of that port. The executor is its own Deployment only when enabled.
*/}}
{{- define "sluice.roles" -}}
{{- $v := .Values -}}
roles:
  - name: api
    command: [python, -m, sluice_api]
    port: {{ $v.api.port }}
  - name: ingest
    command: [python, -m, sluice_ingest]
    port: {{ $v.ingest.port }}
  - name: interpreter
    command: [python, -m, sluice_interpreter, interpreter]
    port: {{ $v.interpreter.port }}
{{- if $v.executor.enabled }}
  - name: executor
    command: [python, -m, sluice_interpreter, executor]
    port: {{ $v.executor.port }}
{{- end }}
  - name: scheduler
    command: [python, -m, sluice_scheduler]
    port: {{ $v.scheduler.port }}
{{- end -}}

{{/*
The non-secret WF_* settings, one map for the ConfigMap (long-running pods) and
the hook jobs (which run before the ConfigMap exists). Names are fields of
sluice_config.Settings; tests/deploy checks every one builds the model.
*/}}
{{- define "sluice.settings" -}}
{{- $v := .Values -}}
WF_KAFKA_BOOTSTRAP_SERVERS: {{ $v.kafka.bootstrapServers | quote }}
WF_TOPIC_PREFIX: {{ $v.kafka.topicPrefix | quote }}
WF_TOPIC_PARTITIONS: {{ $v.kafka.partitions | quote }}
WF_TOPIC_REPLICATION_FACTOR: {{ $v.kafka.replicationFactor | quote }}
WF_KAFKA_SECURITY_PROTOCOL: {{ $v.kafka.securityProtocol | quote }}
{{- if hasPrefix "SASL" $v.kafka.securityProtocol }}
WF_KAFKA_SASL_MECHANISM: {{ $v.kafka.sasl.mechanism | quote }}
{{- end }}
{{- if and (hasSuffix "SSL" $v.kafka.securityProtocol) $v.kafka.tls.caSecret }}
WF_KAFKA_SSL_CAFILE: {{ printf "/etc/sluice/kafka-ca/%s" $v.kafka.tls.caKey | quote }}
{{- end }}
{{- if and (hasSuffix "SSL" $v.kafka.securityProtocol) $v.kafka.tls.clientSecret }}
WF_KAFKA_SSL_CERTFILE: {{ printf "/etc/sluice/kafka-client/%s" $v.kafka.tls.certKey | quote }}
WF_KAFKA_SSL_KEYFILE: {{ printf "/etc/sluice/kafka-client/%s" $v.kafka.tls.keyKey | quote }}
{{- end }}
WF_API_HOST: "0.0.0.0"
WF_API_PORT: {{ $v.api.port | quote }}
WF_INGEST_PORT: {{ $v.ingest.port | quote }}
WF_SMTP_LISTEN_PORT: {{ $v.ingest.smtpPort | quote }}
WF_INTERPRETER_PORT: {{ $v.interpreter.port | quote }}
WF_EXECUTOR_PORT: {{ $v.executor.port | quote }}
WF_SCHEDULER_PORT: {{ $v.scheduler.port | quote }}
WF_EXECUTOR_APART: {{ $v.executor.enabled | quote }}
WF_SMTP_HOST: {{ $v.smtp.host | quote }}
WF_SMTP_PORT: {{ $v.smtp.port | quote }}
WF_CACHE_DIR: "/tmp/sluice"
WF_LOG_LEVEL: {{ $v.config.logLevel | quote }}
WF_LOG_FORMAT: {{ $v.config.logFormat | quote }}
{{- if $v.config.otelEndpoint }}
WF_OTEL_ENDPOINT: {{ $v.config.otelEndpoint | quote }}
{{- end }}
WF_OTEL_SAMPLE_RATIO: {{ $v.config.otelSampleRatio | quote }}
WF_API_RATE_PER_S: {{ $v.config.apiRatePerSecond | quote }}
WF_API_RATE_BURST_S: {{ $v.config.apiRateBurstSeconds | quote }}
WF_MAX_EMAIL_BYTES: {{ $v.config.maxEmailBytes | int64 | quote }}
WF_PLUGINS: {{ $v.config.plugins | quote }}
WF_EXECUTOR_CONCURRENCY: {{ $v.config.executorConcurrency | quote }}
WF_EXECUTOR_FAST_PATH: {{ $v.config.executorFastPath | quote }}
WF_ACTION_LEASE_S: {{ $v.config.actionLeaseSeconds | quote }}
WF_REDRIVE_AFTER_S: {{ $v.config.redriveAfterSeconds | quote }}
WF_SCHEDULER_POLL_S: {{ $v.config.schedulerPollSeconds | quote }}
WF_STUCK_AFTER_S: {{ $v.config.stuckAfterSeconds | quote }}
WF_OUTBOX_NOTIFY: {{ $v.config.outboxNotify | quote }}
WF_RELAY_POLL_S: {{ $v.config.relayPollSeconds | quote }}
WF_DATABASE_COMMAND_TIMEOUT_S: {{ $v.config.databaseCommandTimeoutSeconds | quote }}
WF_DATABASE_CONNECT_TIMEOUT_S: {{ $v.config.databaseConnectTimeoutSeconds | quote }}
{{- end -}}

{{/* Secret-backed env entries (database URL, SASL credentials) and extraEnv. */}}
{{- define "sluice.secretEnv" -}}
{{- $v := .Values -}}
- name: WF_DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ $v.postgresql.existingSecret | quote }}
      key: {{ $v.postgresql.urlKey | quote }}
{{- if hasPrefix "SASL" $v.kafka.securityProtocol }}
- name: WF_KAFKA_SASL_USERNAME
  valueFrom:
    secretKeyRef:
      name: {{ $v.kafka.sasl.existingSecret | quote }}
      key: {{ $v.kafka.sasl.usernameKey | quote }}
- name: WF_KAFKA_SASL_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ $v.kafka.sasl.existingSecret | quote }}
      key: {{ $v.kafka.sasl.passwordKey | quote }}
{{- end }}
{{- with $v.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Volumes every pod mounts: /tmp (the only writable place) and the Kafka TLS files. */}}
{{- define "sluice.volumes" -}}
- name: tmp
  emptyDir:
    sizeLimit: 256Mi
{{- if and (hasSuffix "SSL" .Values.kafka.securityProtocol) .Values.kafka.tls.caSecret }}
- name: kafka-ca
  secret:
    secretName: {{ .Values.kafka.tls.caSecret | quote }}
    items:
      - key: {{ .Values.kafka.tls.caKey | quote }}
        path: {{ .Values.kafka.tls.caKey | quote }}
{{- end }}
{{- if and (hasSuffix "SSL" .Values.kafka.securityProtocol) .Values.kafka.tls.clientSecret }}
- name: kafka-client
  secret:
    secretName: {{ .Values.kafka.tls.clientSecret | quote }}
    defaultMode: 0400
{{- end }}
{{- end -}}

{{- define "sluice.volumeMounts" -}}
- name: tmp
  mountPath: /tmp
{{- if and (hasSuffix "SSL" .Values.kafka.securityProtocol) .Values.kafka.tls.caSecret }}
- name: kafka-ca
  mountPath: /etc/sluice/kafka-ca
  readOnly: true
{{- end }}
{{- if and (hasSuffix "SSL" .Values.kafka.securityProtocol) .Values.kafka.tls.clientSecret }}
- name: kafka-client
  mountPath: /etc/sluice/kafka-client
  readOnly: true
{{- end }}
{{- end -}}

{{/* Values the schema cannot compare across fields: refused here, by name. */}}
{{- define "sluice.validate" -}}
{{- $v := .Values -}}
{{- if not $v.kafka.bootstrapServers -}}
{{- fail "kafka.bootstrapServers is required (host:port of your Kafka brokers)" -}}
{{- end -}}
{{- if not $v.postgresql.existingSecret -}}
{{- fail "postgresql.existingSecret is required: the name of a Secret holding the database URL (key postgresql.urlKey)" -}}
{{- end -}}
{{- if and (hasPrefix "SASL" $v.kafka.securityProtocol) (not $v.kafka.sasl.existingSecret) -}}
{{- fail (printf "kafka.securityProtocol=%s needs kafka.sasl.existingSecret (a Secret with the SASL username and password)" $v.kafka.securityProtocol) -}}
{{- end -}}
{{- if eq (toString $v.image.tag) "latest" -}}
{{- fail "image.tag=latest is refused: pin an exact version (or digests in image.digests) so every pod runs the same code" -}}
{{- end -}}
{{- range $role := list "interpreter" "executor" -}}
{{- $a := (get $v $role).autoscaling -}}
{{- if and (not $a.enabled) (gt (int (get $v $role).replicas) (int $v.kafka.partitions)) -}}
{{- fail (printf "%s.replicas=%d exceeds kafka.partitions=%d: pods beyond the partition count get no work" $role (int (get $v $role).replicas) (int $v.kafka.partitions)) -}}
{{- end -}}
{{- if and $a.enabled (gt (int $a.maxReplicas) (int $v.kafka.partitions)) -}}
{{- fail (printf "%s.autoscaling.maxReplicas=%d exceeds kafka.partitions=%d: pods beyond the partition count get no work" $role (int $a.maxReplicas) (int $v.kafka.partitions)) -}}
{{- end -}}
{{- if and $a.enabled (gt (int $a.minReplicas) (int $a.maxReplicas)) -}}
{{- fail (printf "%s.autoscaling.minReplicas=%d is above maxReplicas=%d" $role (int $a.minReplicas) (int $a.maxReplicas)) -}}
{{- end -}}
{{- end -}}
{{- end -}}
