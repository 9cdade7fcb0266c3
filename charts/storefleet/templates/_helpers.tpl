{{/*
Base name of every object: the release name when it already says "storefleet", else
<release>-storefleet. At most 40 characters so that "<name>-dashboard" and friends stay short.
*/}}
{{- define "storefleet.fullname" -}}
{{- $name := ternary .Release.Name (printf "%s-storefleet" .Release.Name) (contains "storefleet" .Release.Name) -}}
{{- if gt (len $name) 40 -}}
{{- fail (printf "the release name gives objects the base name %q (%d characters); use a release name of at most 40 characters" $name (len $name)) -}}
{{- end -}}
{{- $name -}}
{{- end -}}

{{/* Labels on every object. */}}
{{- define "storefleet.labels" -}}
app.kubernetes.io/name: storefleet
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: storefleet
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{/* Selector labels of one component: api, worker, dashboard, migrate, postgresql or redis. */}}
{{- define "storefleet.selectorLabels" -}}
app.kubernetes.io/name: storefleet
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "storefleet.componentLabels" -}}
{{ include "storefleet.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/*
Labels that never change across chart versions, for immutable places (StatefulSet
volumeClaimTemplates): a version label there would make every chart upgrade fail.
*/}}
{{- define "storefleet.stableLabels" -}}
{{ include "storefleet.selectorLabels" . }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/part-of: storefleet
{{- end -}}

{{/* repository:tag, or repository:tag@digest. The schema rejects "latest" and empty tags. */}}
{{- define "storefleet.image" -}}
{{- $ref := printf "%s:%s" .repository .tag -}}
{{- if .digest -}}{{- $ref = printf "%s@%s" $ref .digest -}}{{- end -}}
{{- $ref -}}
{{- end -}}

{{/* Pod-level securityContext (Pod Security "restricted"): the image's own non-root user. */}}
{{- define "storefleet.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .uid }}
runAsGroup: {{ .gid | default .uid }}
fsGroup: {{ .gid | default .uid }}
fsGroupChangePolicy: OnRootMismatch
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* Container-level securityContext (Pod Security "restricted", read-only root filesystem). */}}
{{- define "storefleet.containerSecurityContext" -}}
allowPrivilegeEscalation: false
privileged: false
readOnlyRootFilesystem: true
runAsNonRoot: true
capabilities:
  drop: ["ALL"]
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* Pod-level imagePullSecrets, or nothing. Use: {{- with include "storefleet.imagePullSecrets" . }}{{ . | nindent 6 }}{{ end }} */}}
{{- define "storefleet.imagePullSecrets" -}}
{{- with .Values.imagePullSecrets -}}
imagePullSecrets:
  {{- range . }}
  - name: {{ . }}
  {{- end }}
{{- end -}}
{{- end -}}

{{/* The user the images run as (images/platform: the chiseled .NET image's "app"; images/dashboard: node). */}}
{{- define "storefleet.platformUid" -}}1654{{- end -}}
{{- define "storefleet.dashboardUid" -}}1000{{- end -}}

{{/* ---------- Secrets: where each key comes from ---------- */}}

{{- define "storefleet.generatedSecretName" -}}
{{- printf "%s-generated" (include "storefleet.fullname" .) -}}
{{- end -}}

{{/* Does the chart generate a Secret at all? (local clusters: keys, bundled database and Redis passwords) */}}
{{- define "storefleet.generatesSecret" -}}
{{- if or (not .Values.secrets.existingSecret) .Values.postgresql.bundled.enabled .Values.redis.bundled.enabled -}}true{{- end -}}
{{- end -}}

{{/* The Secret holding auth-signing-key, encryption-key and admin-password. */}}
{{- define "storefleet.appSecretName" -}}
{{- .Values.secrets.existingSecret | default (include "storefleet.generatedSecretName" .) -}}
{{- end -}}

{{/* An env var read from a Secret key: (dict "name" env "secret" secretName "key" key). */}}
{{- define "storefleet.secretEnv" -}}
- name: {{ .name }}
  valueFrom:
    secretKeyRef:
      name: {{ .secret }}
      key: {{ .key }}
{{- end -}}

{{- define "storefleet.databaseEnv" -}}
{{- if .Values.postgresql.bundled.enabled -}}
{{ include "storefleet.secretEnv" (dict "name" "ConnectionStrings__Storefleet" "secret" (include "storefleet.generatedSecretName" .) "key" "database-connection-string") }}
{{- else -}}
{{ include "storefleet.secretEnv" (dict "name" "ConnectionStrings__Storefleet" "secret" .Values.postgresql.external.existingSecret "key" .Values.postgresql.external.key) }}
{{- end -}}
{{- end -}}

{{- define "storefleet.redisEnv" -}}
{{- if .Values.redis.bundled.enabled -}}
{{ include "storefleet.secretEnv" (dict "name" "ConnectionStrings__Redis" "secret" (include "storefleet.generatedSecretName" .) "key" "redis-connection-string") }}
{{- else if .Values.redis.external.existingSecret -}}
{{ include "storefleet.secretEnv" (dict "name" "ConnectionStrings__Redis" "secret" .Values.redis.external.existingSecret "key" .Values.redis.external.key) }}
{{- end -}}
{{- end -}}

{{/*
What every process of the platform image needs: Production (keys from Secrets, no development
seeding), the database, and the two keys API and workers must share. The migration command
(`storefleet migrate`) reads only the database; it gets the same environment, keys included, only
because it shares this block.
*/}}
{{- define "storefleet.baseEnv" -}}
- name: ASPNETCORE_ENVIRONMENT
  value: Production
{{ include "storefleet.databaseEnv" . }}
{{ include "storefleet.secretEnv" (dict "name" "Auth__SigningKey" "secret" (include "storefleet.appSecretName" .) "key" "auth-signing-key") }}
{{ include "storefleet.secretEnv" (dict "name" "Secrets__EncryptionKey" "secret" (include "storefleet.appSecretName" .) "key" "encryption-key") }}
# Only the SQLite fallback and development keys use the data directory; keep it off the read-only root.
- name: Storage__DataDirectory
  value: /tmp/storefleet
{{ include "storefleet.backupEnv" . }}
{{- end -}}

{{/* Backups (API and workers): where, when, how many. The credentials are the workers' alone (worker.yaml). */}}
{{- define "storefleet.backupEnv" -}}
{{- $b := .Values.backups -}}
- name: Backups__ObjectStore__Endpoint
  value: {{ $b.objectStore.endpoint | quote }}
- name: Backups__ObjectStore__Bucket
  value: {{ $b.objectStore.bucket | quote }}
- name: Backups__ObjectStore__Region
  value: {{ $b.objectStore.region | quote }}
- name: Backups__ObjectStore__Prefix
  value: {{ $b.objectStore.prefix | quote }}
- name: Backups__ObjectStore__ForcePathStyle
  value: {{ $b.objectStore.forcePathStyle | quote }}
- name: Backups__Scheduled
  value: {{ $b.schedule.enabled | quote }}
- name: Backups__WindowStart
  value: {{ $b.schedule.windowStart | quote }}
- name: Backups__WindowLength
  value: {{ $b.schedule.windowLength | quote }}
- name: Backups__KeepDaily
  value: {{ $b.retention.daily | quote }}
- name: Backups__KeepWeekly
  value: {{ $b.retention.weekly | quote }}
- name: Backups__GraceAfterStoreDeletion
  value: {{ $b.retention.graceAfterStoreDeletion | quote }}
- name: Backups__PerUserPerDay
  value: {{ $b.perUserPerDay | quote }}
{{- end -}}

{{/* The migration container: the same image and command as the hook Job (`Storefleet.dll migrate`). */}}
{{- define "storefleet.migrateContainer" -}}
- name: migrate
  image: {{ include "storefleet.image" .Values.image | quote }}
  imagePullPolicy: {{ .Values.image.pullPolicy }}
  args: ["migrate"]
  env:
    {{- include "storefleet.baseEnv" . | nindent 4 }}
    # Migrating needs neither the cluster nor the API routes: no Kubernetes detection at start.
    - name: Roles
      value: api
    - name: Cluster__Mode
      value: simulated
  resources:
    {{- toYaml .Values.migrations.resources | nindent 4 }}
  securityContext:
    {{- include "storefleet.containerSecurityContext" . | nindent 4 }}
  volumeMounts:
    - name: tmp
      mountPath: /tmp
{{- end -}}

{{/*
When migrations run as a hook. External PostgreSQL: before install and before every upgrade, so no
pod of a new version ever starts on an old schema. Bundled PostgreSQL is part of this release and
does not exist before the install, so a pre-install hook would wait for it forever (Helm creates the
release's objects only after pre-install hooks finish): then the Job runs before upgrades only, and
on install the API and worker pods migrate in an init container (the same command; EF Core takes a
migration lock, so concurrent runs are safe).
*/}}
{{- define "storefleet.migrationsHook" -}}
{{- if .Values.postgresql.bundled.enabled -}}pre-upgrade{{- else -}}pre-install,pre-upgrade{{- end -}}
{{- end -}}

{{/* Egress to PostgreSQL (and Redis) for api, worker and migrations: the bundled pods or the external CIDRs. */}}
{{- define "storefleet.databaseEgress" -}}
{{- $pg := .Values.postgresql -}}
- to:
    {{- if $pg.bundled.enabled }}
    - podSelector:
        matchLabels:
          {{- include "storefleet.selectorLabels" (dict "root" . "component" "postgresql") | nindent 10 }}
    {{- else }}
    {{- range $pg.external.cidrs }}
    - ipBlock:
        cidr: {{ . | quote }}
    {{- end }}
    {{- end }}
  ports:
    - port: {{ ternary 5432 $pg.external.port $pg.bundled.enabled }}
      protocol: TCP
{{- end -}}

{{- define "storefleet.redisEgress" -}}
{{- $r := .Values.redis -}}
{{- if $r.bundled.enabled -}}
- to:
    - podSelector:
        matchLabels:
          {{- include "storefleet.selectorLabels" (dict "root" . "component" "redis") | nindent 10 }}
  ports:
    - port: 6379
      protocol: TCP
{{- else if $r.external.existingSecret -}}
- to:
    {{- range $r.external.cidrs }}
    - ipBlock:
        cidr: {{ . | quote }}
    {{- end }}
  ports:
    - port: {{ $r.external.port }}
      protocol: TCP
{{- end -}}
{{- end -}}

{{/* The ingress controller as a NetworkPolicy peer (namespace AND pods). */}}
{{- define "storefleet.ingressControllerPeer" -}}
{{- $ic := .Values.networkPolicy.ingressController -}}
- namespaceSelector:
    {{- toYaml $ic.namespaceSelector | nindent 4 }}
  {{- with $ic.podSelector }}
  podSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end -}}

{{- define "storefleet.scheme" -}}
{{- ternary "https" "http" .Values.ingress.tls.enabled -}}
{{- end -}}

{{/* Render-time checks that JSON schema cannot express. Included once, from the API Deployment. */}}
{{- define "storefleet.validate" -}}
{{- $_ := include "storefleet.fullname" . -}}
{{- $pg := .Values.postgresql -}}
{{- if and $pg.bundled.enabled $pg.external.existingSecret -}}
{{- fail "postgresql: set either postgresql.bundled.enabled (local clusters) or postgresql.external.existingSecret (production), not both" -}}
{{- end -}}
{{- if not (or $pg.bundled.enabled $pg.external.existingSecret) -}}
{{- fail "postgresql: the platform needs PostgreSQL: set postgresql.bundled.enabled=true (local clusters) or postgresql.external.existingSecret to a Secret holding the connection string (production)" -}}
{{- end -}}
{{- if and $pg.external.existingSecret (not .Values.secrets.existingSecret) -}}
{{- fail "secrets.existingSecret is required with an external PostgreSQL: migrations run before the install (pre-install hook), before any Secret of this chart exists. Create a Secret with auth-signing-key, encryption-key and admin-password (docs/operations.md) and name it in secrets.existingSecret" -}}
{{- end -}}
{{- if and $pg.external.existingSecret (not $pg.external.cidrs) -}}
{{- fail "postgresql.external.cidrs is empty: name where the database is (e.g. [\"10.0.0.5/32\"]) so that the NetworkPolicies let the API, workers and migrations reach it" -}}
{{- end -}}
{{- $r := .Values.redis -}}
{{- if and $r.bundled.enabled $r.external.existingSecret -}}
{{- fail "redis: set either redis.bundled.enabled or redis.external.existingSecret, not both" -}}
{{- end -}}
{{- if and $r.external.existingSecret (not $r.external.cidrs) -}}
{{- fail "redis.external.cidrs is empty: name where Redis is so that the NetworkPolicies let the API and workers reach it" -}}
{{- end -}}
{{- if and .Values.ingress.enabled .Values.ingress.tls.enabled (not (or .Values.ingress.tls.clusterIssuer .Values.ingress.tls.secretName)) -}}
{{- fail "ingress.tls.enabled needs ingress.tls.clusterIssuer (cert-manager issues the certificate) or ingress.tls.secretName (an existing TLS Secret)" -}}
{{- end -}}
{{- end -}}

{{/*
The worker's cluster-wide ClusterRole and the store role it binds in each store namespace.
Cluster-scoped names carry the release namespace: two installs cannot overwrite each other's roles.
*/}}
{{- define "storefleet.workerClusterRole" -}}
{{- printf "%s-%s-worker" .Release.Namespace (include "storefleet.fullname" .) -}}
{{- end -}}

{{- define "storefleet.storeRole" -}}
{{- printf "%s-%s-store" .Release.Namespace (include "storefleet.fullname" .) -}}
{{- end -}}
