{{/*
Base name of every object: the release name, which the engine sets to the store slug.
At most 46 characters, so that "<name>-setup-r<revision>" and the StatefulSet's pod and revision
labels stay within the 63-character label limit.
*/}}
{{- define "store.fullname" -}}
{{- if gt (len .Release.Name) 46 -}}
{{- fail (printf "release name %q has %d characters: a store slug (the release name) must have at most 46" .Release.Name (len .Release.Name)) -}}
{{- end -}}
{{- .Release.Name -}}
{{- end -}}

{{- define "store.slug" -}}
{{- default .Release.Name .Values.store.slug -}}
{{- end -}}

{{/* Labels on every object. */}}
{{- define "store.labels" -}}
app.kubernetes.io/name: woocommerce-store
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: storefleet
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- with .Values.store.id }}
storefleet.dev/store-id: {{ . | quote }}
{{- end }}
{{- end -}}

{{/* Selector labels of one component: wordpress, database or setup (the engine reads these). */}}
{{- define "store.selectorLabels" -}}
app.kubernetes.io/name: woocommerce-store
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/*
Labels that never change across chart versions, for immutable places (StatefulSet volumeClaimTemplates):
a version label there would make every chart upgrade fail with "updates to statefulset spec ... are forbidden".
*/}}
{{- define "store.stableLabels" -}}
{{ include "store.selectorLabels" . }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/part-of: storefleet
{{- end -}}

{{- define "store.componentLabels" -}}
{{ include "store.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* repository:tag, or repository:tag@digest. The schema rejects "latest" and empty tags. */}}
{{- define "store.image" -}}
{{- $ref := printf "%s:%s" .repository .tag -}}
{{- if .digest -}}{{- $ref = printf "%s@%s" $ref .digest -}}{{- end -}}
{{- $ref -}}
{{- end -}}

{{- define "store.secretName" -}}
{{- required "credentials.existingSecret is required: name the Secret (in the store namespace) that holds db-password, db-root-password, admin-user and admin-password; the provisioning engine creates it as store-credentials. The chart never renders passwords." .Values.credentials.existingSecret -}}
{{- end -}}

{{/* The store's public host: ingress.host, else <slug>.<baseDomain>. */}}
{{- define "store.host" -}}
{{- if .Values.ingress.host -}}
{{- .Values.ingress.host -}}
{{- else if .Values.baseDomain -}}
{{- printf "%s.%s" (include "store.slug" .) .Values.baseDomain -}}
{{- else -}}
{{- fail "ingress.host is empty and so is baseDomain: set ingress.host (e.g. my-shop.127.0.0.1.nip.io) or baseDomain (the store gets <store.slug>.<baseDomain>)" -}}
{{- end -}}
{{- end -}}

{{- define "store.url" -}}
{{- printf "%s://%s" (ternary "https" "http" .Values.ingress.tls.enabled) (include "store.host" .) -}}
{{- end -}}

{{/*
The Helm revision on the WordPress pod template: every helm upgrade makes a new WordPress pod (Recreate),
and the setup Job of that revision requires this exact pod as its neighbour (setup-job.yaml).
*/}}
{{- define "store.revisionLabel" -}}
storefleet.dev/revision: {{ .Release.Revision | quote }}
{{- end -}}

{{/* Does the store have a certificate of its own (ingress.tls.mode=perStore)? Wildcard (the default): no. */}}
{{- define "store.tlsPerStore" -}}
{{- if and .Values.ingress.tls.enabled (eq (default "wildcard" .Values.ingress.tls.mode) "perStore") -}}true{{- end -}}
{{- end -}}

{{- define "store.tlsSecretName" -}}
{{- default (printf "%s-tls" (include "store.fullname" .)) .Values.ingress.tls.secretName -}}
{{- end -}}

{{- define "store.mysqlHost" -}}
{{- printf "%s-mysql:3306" (include "store.fullname" .) -}}
{{- end -}}

{{/* Does the setup Job download WooCommerce (and so need 443 egress)? */}}
{{- define "store.setupDownloads" -}}
{{- if eq .Values.setup.woocommerceSource "download" -}}true{{- end -}}
{{- end -}}

{{/*
Render-time checks that JSON schema cannot express. Included once, from the Deployment.
*/}}
{{- define "store.validate" -}}
{{- $_ := include "store.fullname" . -}}
{{- $_ := include "store.secretName" . -}}
{{- $_ := required "store.name is required: the store's display name, set by the provisioning engine" .Values.store.name -}}
{{- $_ := required "store.adminEmail is required: the store administrator's email, set by the provisioning engine" .Values.store.adminEmail -}}
{{- $_ := include "store.host" . -}}
{{- if and .Values.ingress.tls.enabled (include "store.tlsPerStore" .) (not (or .Values.ingress.tls.clusterIssuer .Values.ingress.tls.secretName)) -}}
{{- fail "ingress.tls.enabled with ingress.tls.mode=perStore needs ingress.tls.clusterIssuer (cert-manager issues the certificate) or ingress.tls.secretName (an existing TLS Secret); or use mode wildcard (the ingress controller's default certificate)" -}}
{{- end -}}
{{- if and .Values.ingress.tls.enabled (not (include "store.tlsPerStore" .)) (or .Values.ingress.tls.clusterIssuer .Values.ingress.tls.secretName) -}}
{{- fail "ingress.tls.clusterIssuer and ingress.tls.secretName are for ingress.tls.mode=perStore; with mode wildcard the store has no certificate of its own (the ingress controller's default certificate serves it): remove them or set mode perStore" -}}
{{- end -}}
{{- if and (include "store.setupDownloads" .) (not .Values.networkPolicy.internetEgress.enabled) -}}
{{- fail "setup.woocommerceSource=download needs networkPolicy.internetEgress.enabled=true (the setup Job downloads WooCommerce from wordpress.org over 443); or use the pre-baked image with setup.woocommerceSource=bundled" -}}
{{- end -}}
{{- end -}}

{{/* Pod-level securityContext: non-root, RuntimeDefault seccomp (Pod Security "restricted"). */}}
{{- define "store.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .uid }}
runAsGroup: {{ .uid }}
fsGroup: {{ .uid }}
# Skips the recursive chown of a volume whose root already has the right group: faster restarts.
fsGroupChangePolicy: OnRootMismatch
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* Container-level securityContext (Pod Security "restricted"). */}}
{{- define "store.containerSecurityContext" -}}
allowPrivilegeEscalation: false
privileged: false
runAsNonRoot: true
capabilities:
  drop: ["ALL"]
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/*
PHP appended to wp-config.php. Versions are pinned by the platform (images, setup.woocommerceVersion),
so WordPress must not update itself: core lives in an emptyDir and an update would vanish on restart.
WP-Cron's own trigger (a loopback request to the public URL) cannot pass the NetworkPolicies: the
<release>-cron CronJob runs due events instead (DISABLE_WP_CRON).
Without internet egress, external HTTP is refused at once instead of timing out behind the
NetworkPolicy (which would make admin pages hang).
*/}}
{{- define "store.wpConfigExtra" -}}
{{- $ctx := .root -}}
define('WP_ENVIRONMENT_TYPE', '{{ $ctx.Values.wordpress.environmentType }}');
define('AUTOMATIC_UPDATER_DISABLED', true);
define('DISALLOW_FILE_EDIT', true);
define('DISABLE_WP_CRON', true);
{{- if not .internet }}
define('WP_HTTP_BLOCK_EXTERNAL', true);
{{- end }}
{{- with $ctx.Values.wordpress.configExtra }}
{{ . }}
{{- end }}
{{- end -}}

{{/* Database connection env, shared by WordPress and the setup Job. */}}
{{- define "store.dbEnv" -}}
- name: WORDPRESS_DB_HOST
  value: {{ include "store.mysqlHost" . | quote }}
- name: WORDPRESS_DB_NAME
  value: {{ .Values.mysql.database | quote }}
- name: WORDPRESS_DB_USER
  value: {{ .Values.mysql.user | quote }}
- name: WORDPRESS_DB_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "store.secretName" . }}
      key: db-password
{{- end -}}


{{/* A memory quantity (e.g. 512Mi, 1Gi, 1G, 536870912) in whole MiB. */}}
{{- define "store.memoryMi" -}}
{{- $q := toString . -}}
{{- if hasSuffix "Ti" $q -}}{{ mulf (trimSuffix "Ti" $q | float64) 1048576 | int }}
{{- else if hasSuffix "Gi" $q -}}{{ mulf (trimSuffix "Gi" $q | float64) 1024 | int }}
{{- else if hasSuffix "Mi" $q -}}{{ trimSuffix "Mi" $q | float64 | int }}
{{- else if hasSuffix "Ki" $q -}}{{ divf (trimSuffix "Ki" $q | float64) 1024 | int }}
{{- else if hasSuffix "T" $q -}}{{ divf (mulf (trimSuffix "T" $q | float64) 1000000000000) 1048576 | int }}
{{- else if hasSuffix "G" $q -}}{{ divf (mulf (trimSuffix "G" $q | float64) 1000000000) 1048576 | int }}
{{- else if hasSuffix "M" $q -}}{{ divf (mulf (trimSuffix "M" $q | float64) 1000000) 1048576 | int }}
{{- else if hasSuffix "k" $q -}}{{ divf (mulf (trimSuffix "k" $q | float64) 1000) 1048576 | int }}
{{- else if regexMatch "^[0-9.]+$" $q -}}{{ divf ($q | float64) 1048576 | int }}
{{- else -}}{{ fail (printf "wordpress.resources.limits.memory %q: use a quantity such as 512Mi or 1Gi" $q) }}
{{- end -}}
{{- end -}}

{{/*
Apache prefork workers: wordpress.apache.maxRequestWorkers, or what fits in the container's memory limit
((limit - reserved) / per worker, at least 2). Each worker is one PHP process: more than fit would get the
pod OOM-killed under a burst; fewer queue requests instead.
*/}}
{{- define "store.apacheWorkers" -}}
{{- $a := .Values.wordpress.apache -}}
{{- if gt (int $a.maxRequestWorkers) 0 -}}
{{- $a.maxRequestWorkers -}}
{{- else -}}
{{- $mem := include "store.memoryMi" .Values.wordpress.resources.limits.memory | atoi -}}
{{- max 2 (div (sub $mem (int $a.reservedMemoryMi)) (int $a.memoryPerWorkerMi)) -}}
{{- end -}}
{{- end -}}

{{/* post_max_size and the ingress body size, in MB: the upload plus room for the form's other fields. */}}
{{- define "store.bodyMegabytes" -}}
{{- add (int .Values.wordpress.uploadMaxMegabytes) 8 -}}
{{- end -}}

{{/* Outgoing mail settings for the must-use plugin (files/storefleet-mu-plugin.php). */}}
{{- define "store.mailEnv" -}}
{{- $m := .Values.mail -}}
- name: STOREFLEET_MAIL_FROM
  value: {{ $m.from | quote }}
- name: STOREFLEET_MAIL_FROM_NAME
  value: {{ $m.fromName | quote }}
- name: STOREFLEET_SMTP_HOST
  value: {{ $m.smtp.host | quote }}
- name: STOREFLEET_SMTP_PORT
  value: {{ $m.smtp.port | quote }}
- name: STOREFLEET_SMTP_ENCRYPTION
  value: {{ $m.smtp.encryption | quote }}
{{- if and $m.smtp.host $m.smtp.existingSecret }}
- name: STOREFLEET_SMTP_USERNAME
  valueFrom:
    secretKeyRef:
      name: {{ $m.smtp.existingSecret }}
      key: username
- name: STOREFLEET_SMTP_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ $m.smtp.existingSecret }}
      key: password
{{- end }}
{{- end -}}
