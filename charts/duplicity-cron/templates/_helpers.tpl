{{/* Names, labels, and the translation of the task values into the runner's TASK_<id>_* variables. */}}

{{- define "dc.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "dc.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "dc.selectorLabels" -}}
app.kubernetes.io/name: {{ include "dc.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "dc.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "dc.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "dc.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion | toString) -}}
{{- end -}}

{{- define "dc.hostname" -}}
{{- .Values.hostname | default (include "dc.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* A task id as part of a Kubernetes name: lower case, `_` and `.` as `-` (ids may hold them). */}}
{{- define "dc.taskSuffix" -}}
{{- regexReplaceAll "^-+|-+$" (. | toString | lower | replace "_" "-" | replace "." "-") "" -}}
{{- end -}}

{{/* The name of a task's CronJob: at most 52 characters (a Job's name adds 11), a hash when longer.
With .kind (restore, verify): the name of the task's one-off Job template, <fullname>-<kind>-<task>. */}}
{{- define "dc.cronJobName" -}}
{{- $kind := .kind | default "" -}}
{{- $name := printf "%s-%s" (include "dc.fullname" .root) (include "dc.taskSuffix" .id) -}}
{{- $hashed := toString .id -}}
{{- if $kind -}}
{{- $name = printf "%s-%s-%s" (include "dc.fullname" .root) $kind (include "dc.taskSuffix" .id) -}}
{{- $hashed = printf "%s/%s" $kind (toString .id) -}}
{{- end -}}
{{- if gt (len $name) 52 -}}
{{- $name = printf "%s-%s" ($name | trunc 43 | trimSuffix "-") (sha256sum $hashed | trunc 8) -}}
{{- end -}}
{{- $name -}}
{{- end -}}

{{/* True (non-empty) for a name whose value the runner treats as secret (config/secrets.looks_secret). */}}
{{- define "dc.looksSecret" -}}
{{- $n := upper . -}}
{{- if and (not (hasSuffix "_FILE" $n)) (or (regexMatch "PASSPHRASE|PASSWORD|SECRET|TOKEN" $n) (hasSuffix "_KEY" $n) (hasSuffix "NOTIFY_URLS" $n) (hasSuffix "PING_URL" $n)) -}}
true
{{- end -}}
{{- end -}}

{{/* A Secret key the runner reads from a file (NAME_FILE): secret-looking, no TASK_ or CONF_ prefix. */}}
{{- define "dc.secretAsFile" -}}
{{- $n := upper . -}}
{{- if and (include "dc.looksSecret" .) (not (hasPrefix "TASK_" $n)) (not (hasPrefix "CONF_" $n)) -}}
true
{{- end -}}
{{- end -}}

{{/* Refuse a secret in values: a secret-looking name, or a URL with a password, in env or a task. */}}
{{- define "dc.refuseSecret" -}}
{{- if include "dc.looksSecret" .name -}}
{{- fail (printf "%s: its value is a secret; put it into the Secret named by existingSecret and list %s in secretKeys" .where .variable) -}}
{{- end -}}
{{- if regexMatch `[A-Za-z][A-Za-z0-9+.-]*://[^/?#\s@]*:[^/?#\s]*@` (toString .value) -}}
{{- fail (printf "%s: holds a URL with a password; put %s into the Secret named by existingSecret and list it in secretKeys" .where .variable) -}}
{{- end -}}
{{- end -}}

{{/* Seconds of a runner duration (45, 90s, 30m, 2h, 1h30m, 1d), rounded up. */}}
{{- define "dc.seconds" -}}
{{- $v := . | toString | trim | lower -}}
{{- if regexMatch `^[0-9]+(\.[0-9]+)?$` $v -}}
{{- $v | float64 | ceil | int -}}
{{- else if regexMatch `^([0-9]+(\.[0-9]+)?[smhd])+$` $v -}}
{{- $units := dict "s" 1 "m" 60 "h" 3600 "d" 86400 -}}
{{- $total := 0.0 -}}
{{- range regexFindAll `[0-9]+(\.[0-9]+)?[smhd]` $v -1 -}}
{{- $total = addf $total (mulf (regexReplaceAll `[smhd]$` . "" | float64) (get $units (regexFind `[smhd]$` .))) -}}
{{- end -}}
{{- $total | ceil | int -}}
{{- else -}}
{{- fail (printf "timeout %q is not a duration (45, 90s, 30m, 2h, 1h30m)" $v) -}}
{{- end -}}
{{- end -}}

{{/* One task's variables as JSON: {"TASK_<id>_<KEY>": "value"}; the key from camelCase. */}}
{{- define "dc.taskVars" -}}
{{- $vars := dict -}}
{{- range $key, $value := .task -}}
{{- if not (kindIs "invalid" $value) -}}
{{- $variable := printf "TASK_%s_%s" $.id ($key | snakecase | upper) -}}
{{- include "dc.refuseSecret" (dict "where" (printf "tasks.%s.%s" $.id $key) "variable" $variable "name" $variable "value" $value) -}}
{{- $_ := set $vars $variable (toString $value) -}}
{{- end -}}
{{- end -}}
{{- toJson $vars -}}
{{- end -}}

{{/* The value of one key of a task (any spelling: crontab, CRONTAB), or "". */}}
{{- define "dc.taskKey" -}}
{{- $found := "" -}}
{{- range $key, $value := .task -}}
{{- if and (eq ($key | snakecase | upper) $.key) (not (kindIs "invalid" $value)) -}}{{- $found = toString $value -}}{{- end -}}
{{- end -}}
{{- $found -}}
{{- end -}}

{{/* The CronJob schedule of a task: CRONTAB, or the cron line of PERIODICITY; "" when unscheduled. */}}
{{- define "dc.schedule" -}}
{{- $crontab := include "dc.taskKey" (dict "task" .task "key" "CRONTAB") | trim -}}
{{- $periodicity := include "dc.taskKey" (dict "task" .task "key" "PERIODICITY") | trim | lower -}}
{{- if $crontab -}}
{{- if eq (len (regexSplit `\s+` $crontab -1)) 6 -}}
{{- fail (printf "tasks.%s.crontab %q: a seconds field cannot be scheduled by a Kubernetes CronJob (5 fields or a macro); use mode: daemon" .id $crontab) -}}
{{- end -}}
{{- $crontab -}}
{{- else if $periodicity -}}
{{- $lines := dict "hourly" "0 * * * *" "daily" "10 1 * * *" "weekly" "20 2 * * 0" "monthly" "30 3 1 * *" -}}
{{- if not (hasKey $lines $periodicity) -}}
{{- fail (printf "tasks.%s.periodicity %q: expected hourly, daily, weekly or monthly" .id $periodicity) -}}
{{- end -}}
{{- get $lines $periodicity -}}
{{- end -}}
{{- end -}}

{{/* Every variable of the tasks' environment (env, then the tasks), as JSON. */}}
{{- define "dc.environment" -}}
{{- $all := dict -}}
{{- range $name, $value := .Values.env -}}
{{- if not (kindIs "invalid" $value) -}}
{{- include "dc.refuseSecret" (dict "where" (printf "env.%s" $name) "variable" $name "name" $name "value" $value) -}}
{{- $_ := set $all $name (toString $value) -}}
{{- end -}}
{{- end -}}
{{- range $id, $task := .Values.tasks -}}
{{- $all = merge $all (include "dc.taskVars" (dict "id" $id "task" $task) | fromJson) -}}
{{- end -}}
{{- toJson $all -}}
{{- end -}}

{{/* The claim behind the cache or state folder of a pod ("" for an emptyDir). */}}
{{- define "dc.claim" -}}
{{- $p := get .root.Values.persistence .what -}}
{{- if $p.existingClaim -}}
{{- $p.existingClaim -}}
{{- else if $p.enabled -}}
{{- $full := include "dc.fullname" .root -}}
{{- if and (eq .root.Values.mode "cronjobs") .root.Values.persistence.perTask -}}
{{- if .id -}}{{- printf "%s-%s-%s" $full .what (include "dc.taskSuffix" .id) -}}{{- end -}}
{{- else -}}
{{- printf "%s-%s" $full .what -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* The pod spec of every workload: args, restartPolicy, the task id (for its claims), daemon. */}}
{{- define "dc.podSpec" -}}
{{- $root := .root -}}
{{- $v := $root.Values -}}
{{- $env := $v.env -}}
{{- $cache := include "dc.claim" (dict "root" $root "what" "cache" "id" .id) -}}
{{- $state := include "dc.claim" (dict "root" $root "what" "state" "id" .id) -}}
{{- $files := list -}}
{{- range $v.secretKeys -}}{{- if include "dc.secretAsFile" . -}}{{- $files = append $files . -}}{{- end -}}{{- end -}}
{{- if and $v.secretKeys (not $v.existingSecret) -}}{{- fail "secretKeys needs existingSecret: the name of the Secret holding them" -}}{{- end -}}
{{- with $v.imagePullSecrets }}
imagePullSecrets: {{- toYaml . | nindent 2 }}
{{- end }}
{{- if or $v.serviceAccount.create $v.serviceAccount.name }}
serviceAccountName: {{ $v.serviceAccount.name | default (include "dc.fullname" $root) }}
{{- end }}
automountServiceAccountToken: {{ $v.serviceAccount.automountToken }}
hostname: {{ include "dc.hostname" $root }}
restartPolicy: {{ .restartPolicy }}
terminationGracePeriodSeconds: {{ $v.terminationGracePeriodSeconds }}
securityContext: {{- toYaml $v.podSecurityContext | nindent 2 }}
containers:
  - name: duplicity-cron
    image: {{ include "dc.image" $root | quote }}
    imagePullPolicy: {{ $v.image.pullPolicy }}
    args: {{ toJson .args }}
    envFrom:
      - configMapRef:
          name: {{ include "dc.fullname" $root }}-env
    {{- if or $v.secretKeys .daemon }}
    env:
      {{- range $v.secretKeys }}
      {{- if include "dc.secretAsFile" . }}
      - name: {{ . }}_FILE
        value: /run/secrets/duplicity-cron/{{ . }}
      {{- else }}
      - name: {{ . }}
        valueFrom:
          secretKeyRef:
            name: {{ $v.existingSecret }}
            key: {{ . }}
      {{- end }}
      {{- end }}
      {{- if and .daemon $v.daemon.metrics.enabled }}
      - name: CONF_METRICS_PORT
        value: {{ $v.daemon.metrics.port | quote }}
      {{- end }}
    {{- end }}
    {{- if and .daemon $v.daemon.metrics.enabled }}
    ports:
      - name: metrics
        containerPort: {{ $v.daemon.metrics.port }}
    {{- end }}
    {{- if and .daemon $v.daemon.liveness.enabled }}
    livenessProbe:
      exec:
        command: ["duplicity-cron", "healthcheck", "--liveness"]
      periodSeconds: {{ $v.daemon.liveness.periodSeconds }}
      timeoutSeconds: {{ $v.daemon.liveness.timeoutSeconds }}
      failureThreshold: {{ $v.daemon.liveness.failureThreshold }}
    {{- end }}
    securityContext: {{- toYaml $v.securityContext | nindent 6 }}
    {{- with $v.resources }}
    resources: {{- toYaml . | nindent 6 }}
    {{- end }}
    volumeMounts:
      - {name: tmp, mountPath: /tmp}
      - {name: work, mountPath: {{ $env.CONF_WORK_DIR | default "/workdir" }}}
      - {name: cache, mountPath: {{ $env.XDG_CACHE_HOME | default "/cache" }}}
      - {name: state, mountPath: {{ $env.CONF_STATE_DIR | default "/var/lib/duplicity-cron" }}}
      {{- if $files }}
      - {name: secrets, mountPath: /run/secrets/duplicity-cron, readOnly: true}
      {{- end }}
      {{- with $v.extraVolumeMounts }}
      {{- toYaml . | nindent 6 }}
      {{- end }}
volumes:
  - name: tmp
    emptyDir: {{ if $v.tmpSizeLimit }}{sizeLimit: {{ $v.tmpSizeLimit }}}{{ else }}{}{{ end }}
  - name: work
    emptyDir: {{ if $v.persistence.work.sizeLimit }}{sizeLimit: {{ $v.persistence.work.sizeLimit }}}{{ else }}{}{{ end }}
  - name: cache
    {{- if $cache }}
    persistentVolumeClaim: {claimName: {{ $cache }}}
    {{- else }}
    emptyDir: {}
    {{- end }}
  - name: state
    {{- if $state }}
    persistentVolumeClaim: {claimName: {{ $state }}}
    {{- else }}
    emptyDir: {}
    {{- end }}
  {{- if $files }}
  - name: secrets
    secret:
      secretName: {{ $v.existingSecret }}
      defaultMode: 0440
      items:
        {{- range $files }}
        - {key: {{ . }}, path: {{ . }}}
        {{- end }}
  {{- end }}
  {{- with $v.extraVolumes }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{- with $v.nodeSelector }}
nodeSelector: {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $v.tolerations }}
tolerations: {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $v.affinity }}
affinity: {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/* Scheduled tasks as a list of ids (sorted), and the restore tasks' ids. */}}
{{- define "dc.scheduledIds" -}}
{{- $ids := list -}}
{{- range $id, $task := .Values.tasks -}}
{{- if include "dc.schedule" (dict "id" $id "task" $task) -}}{{- $ids = append $ids $id -}}{{- end -}}
{{- end -}}
{{- toJson $ids -}}
{{- end -}}

{{- define "dc.hasRestore" -}}
{{- range $id, $task := .Values.tasks -}}
{{- if include "dc.taskKey" (dict "task" $task "key" "RESTORE") -}}true{{- end -}}
{{- end -}}
{{- end -}}

{{/* True (non-empty) when a task has KEY: in its values, or as TASK_<id>_<KEY> in secretKeys. */}}
{{- define "dc.taskHas" -}}
{{- if or (include "dc.taskKey" (dict "task" .task "key" .key)) (has (printf "TASK_%s_%s" .id .key) .root.Values.secretKeys) -}}
true
{{- end -}}
{{- end -}}

{{/* The one-off Jobs (cronjobs mode, oneOffJobs.enabled) of every task with a TARGET, as JSON:
[{"id", "kind" (restore, verify), "name", "args"}]. A task whose restore writes files (no built-in
dump: SOURCE, or its own EXTRACT) gets a restore Job only with --to in oneOffJobs.restoreArgs.<id>:
the pod's work folder is an emptyDir, and what is restored there would go with the pod. Fails on
restoreArgs of a task without TARGET, and on a name another CronJob of the release has. */}}
{{- define "dc.oneOffJobs" -}}
{{- $root := . -}}
{{- $jobs := list -}}
{{- $o := .Values.oneOffJobs | default dict -}}
{{- $restoreArgs := $o.restoreArgs | default dict -}}
{{- if and (eq .Values.mode "cronjobs") $o.enabled -}}
{{- $names := dict -}}
{{- range $id := include "dc.scheduledIds" $root | fromJsonArray -}}
{{- $_ := set $names (include "dc.cronJobName" (dict "root" $root "id" $id)) (printf "the CronJob of task %s" $id) -}}
{{- end -}}
{{- if include "dc.hasRestore" $root -}}
{{- $_ := set $names (printf "%s-restore" (include "dc.fullname" $root)) "the restore tasks' Job" -}}
{{- end -}}
{{- range $id, $args := $restoreArgs -}}
{{- if not (hasKey $root.Values.tasks $id) -}}
{{- fail (printf "oneOffJobs.restoreArgs.%s: there is no task %s; name a task of tasks" $id $id) -}}
{{- end -}}
{{- if not (include "dc.taskHas" (dict "root" $root "id" $id "task" (get $root.Values.tasks $id) "key" "TARGET")) -}}
{{- fail (printf "oneOffJobs.restoreArgs.%s: task %s has no target to restore from; give it one, or remove its restoreArgs" $id $id) -}}
{{- end -}}
{{- if not (kindIs "slice" $args) -}}
{{- fail (printf "oneOffJobs.restoreArgs.%s: expected a list of arguments, such as [--to, /restore/%s]" $id $id) -}}
{{- end -}}
{{- range $args -}}
{{- if regexMatch `[A-Za-z][A-Za-z0-9+.-]*://[^/?#\s@]*:[^/?#\s]*@` (toString .) -}}
{{- fail (printf "oneOffJobs.restoreArgs.%s: holds a URL with a password; give the URL without it (the password goes into the Secret, as PGPASSWORD or MYSQL_PWD)" $id) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- range $id, $task := .Values.tasks -}}
{{- if include "dc.taskHas" (dict "root" $root "id" $id "task" $task "key" "TARGET") -}}
{{- $dumps := and (include "dc.taskHas" (dict "root" $root "id" $id "task" $task "key" "DATABASE_URL")) (not (include "dc.taskKey" (dict "task" $task "key" "EXTRACT"))) -}}
{{- $extra := list -}}
{{- range (get $restoreArgs $id | default (list)) -}}{{- $extra = append $extra (toString .) -}}{{- end -}}
{{- $to := false -}}
{{- range $extra -}}{{- if or (eq . "--to") (hasPrefix "--to=" .) -}}{{- $to = true -}}{{- end -}}{{- end -}}
{{- if and $extra (not $dumps) (not $to) -}}
{{- fail (printf "oneOffJobs.restoreArgs.%s: task %s restores files: add --to DIR, a folder of extraVolumeMounts (the pod's work folder is an emptyDir that goes with it)" $id $id) -}}
{{- end -}}
{{- $kinds := list "verify" -}}
{{- if or $dumps $to -}}{{- $kinds = list "restore" "verify" -}}{{- end -}}
{{- range $kind := $kinds -}}
{{- $name := include "dc.cronJobName" (dict "root" $root "id" $id "kind" $kind) -}}
{{- if hasKey $names $name -}}
{{- fail (printf "tasks.%s: the name %s of its %s Job is taken by %s; rename one, or set oneOffJobs.enabled=false" $id $name $kind (get $names $name)) -}}
{{- end -}}
{{- $_ := set $names $name (printf "the %s Job of task %s" $kind $id) -}}
{{- $args := list $kind $id -}}
{{- if eq $kind "restore" -}}{{- $args = concat $args $extra -}}{{- end -}}
{{- $jobs = append $jobs (dict "id" $id "kind" $kind "name" $name "args" $args) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- toJson $jobs -}}
{{- end -}}

{{/* The tasks with a TARGET whose restore writes files and have no restoreArgs (no restore Job). */}}
{{- define "dc.restoreWithoutJob" -}}
{{- $root := . -}}
{{- $ids := list -}}
{{- $made := list -}}
{{- range include "dc.oneOffJobs" $root | fromJsonArray -}}{{- if eq .kind "restore" -}}{{- $made = append $made .id -}}{{- end -}}{{- end -}}
{{- range include "dc.oneOffJobs" $root | fromJsonArray -}}
{{- if and (eq .kind "verify") (not (has .id $made)) -}}{{- $ids = append $ids .id -}}{{- end -}}
{{- end -}}
{{- toJson $ids -}}
{{- end -}}
