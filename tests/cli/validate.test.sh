#!/usr/bin/env bash
# burnrate validate: exit codes and one "file:line:col: field: message" line
# per problem, over files, directories, stdin, Lists and foreign kinds.
. "$(dirname "$0")/lib.sh"

run validate -f "$SRC/examples"
expect_rc 0 "examples/ are valid"
n_examples=$(ls "$SRC"/examples/*.yaml | wc -l)
expect_out "$n_examples ServiceLevelObjective" "all $n_examples examples counted"

mkdir -p "$T/mixed/sub" "$T/mixed/.hidden"
slo a team-a 99.5 >"$T/mixed/a.yaml"
{ slo b team-b 99; echo "---"; slo c team-b 99.9; } >"$T/mixed/sub/bc.yml"
cat >"$T/mixed/deploy.yaml" <<'YAML'
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
YAML
echo "not yaml at all: [" >"$T/mixed/notes.txt"      # not *.yaml: never read
echo "garbage: [" >"$T/mixed/.hidden/x.yaml"           # hidden: never read
run validate -f "$T/mixed"
expect_rc 0 "directory with SLOs, a Deployment, other files"
expect_out "^3 ServiceLevelObjective" "three SLOs found recursively"
expect_err "skipping apps/v1 Deployment \"web\"" "other kinds skipped with a note"

slo bad team-a 150 >"$T/bad.yaml"
run validate -f "$T/bad.yaml"
expect_rc 1 "objective 150 is invalid"
expect_err "^$T/bad.yaml:8:[0-9]+: spec.objective: " "problem names file:line:col and field"

{ slo ok1 ns 99; echo "---"; slo bad2 ns 0; echo "---"; slo bad3 ns 100; } >"$T/two-bad.yaml"
run validate -f "$T/two-bad.yaml" -f "$T/mixed"
expect_rc 1 "two bad documents among good ones"
[ "$(grep -c 'spec.objective' "$T/err")" = 2 ] && ok "one line per problem" || fail "want 2 objective lines: $(cat "$T/err")"

slo from-stdin ns 99.9 | { "$BURNRATE" validate -f - >"$T/out" 2>"$T/err"; echo $? >"$T/rc"; }
RC=$(cat "$T/rc"); expect_rc 0 "stdin with -f -"

cat >"$T/list.yaml" <<YAML
apiVersion: v1
kind: List
items:
$(slo l1 ns 99 | sed 's/^/  /; 1s/^  /- /')
$(slo l2 ns 99.5 | sed 's/^/  /; 1s/^  /- /')
- apiVersion: v1
  kind: ConfigMap
  metadata: {name: cm}
YAML
run validate -f "$T/list.yaml"
expect_rc 0 "kind: List"
expect_out "^2 ServiceLevelObjective" "List items counted"
expect_err "skipping v1 ConfigMap" "ConfigMap inside a List skipped"

run validate -f "$T/does-not-exist.yaml"
expect_rc 1 "missing file"
expect_err "does-not-exist.yaml: cannot open: No such file" "missing file named with the reason"

head -c 4096 /dev/urandom >"$T/garbage.yaml"
printf '\x00\x01\xff\xfe{{[[' >>"$T/garbage.yaml"
run validate -f "$T/garbage.yaml"
expect_rc 1 "binary garbage is an error, not a crash"
expect_err "garbage.yaml" "garbage problem names the file"

python3 -c "
print('a: &a [' + ','.join(['x'] * 10) + ']')
for i in range(1, 12): print(f'a{i}: &a{i} [' + ','.join([f'*a{i-1}' if i > 1 else '*a'] * 10) + ']')
" >"$T/bomb.yaml"
run validate -f "$T/bomb.yaml"
expect_rc 1 "alias bomb refused, not expanded"
python3 -c "print('[' * 100000)" | { "$BURNRATE" validate -f - >"$T/out" 2>"$T/err"; echo $? >"$T/rc"; }
RC=$(cat "$T/rc"); expect_rc 1 "deep nesting on stdin refused"
expect_err "^<stdin>:1:[0-9]+: " "stdin problems named <stdin>"

# Inputs that hold no ServiceLevelObjective: exit 1, naming them (kubectl apply:
# "no objects passed to apply"); an empty render must not pass CI.
: >"$T/empty.yaml"
run validate -f "$T/empty.yaml"
expect_rc 1 "empty file"
expect_err "^no ServiceLevelObjective found in $T/empty.yaml \\(1 file\\(s\\) read" "empty file named"
mkdir -p "$T/others" "$T/nothing"
cp "$T/mixed/deploy.yaml" "$T/others/"
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\n---\n# only a comment\n' >"$T/others/cm.yml"
run validate -f "$T/others"
expect_rc 1 "directory with only other kinds"
expect_err "no ServiceLevelObjective found in $T/others \\(2 file\\(s\\) read, 2 document\\(s\\) of other kinds skipped\\)" \
	"directory named, with what was read and skipped"
run validate -f "$T/nothing"
expect_rc 1 "directory with no YAML file"
expect_err "no ServiceLevelObjective found in $T/nothing \\(no \\*.yaml or \\*.yml file\\)" "empty directory named"
run validate -f "$T/nothing" -f "$T/empty.yaml"
expect_rc 1 "several inputs, none with an SLO"
expect_err "found in $T/nothing, $T/empty.yaml " "every input named"
for input in '' '---' '# nothing but a comment'; do
	printf '%s\n' "$input" | { "$BURNRATE" validate -f - >"$T/out" 2>"$T/err"; echo $? >"$T/rc"; }
	RC=$(cat "$T/rc"); expect_rc 1 "stdin holding '$input'"
	expect_err "^no ServiceLevelObjective found in <stdin> " "stdin named"
done
run validate -f "$T/empty.yaml" -f "$T/mixed"
expect_rc 0 "an empty file among SLOs is fine"
run validate -f "$T/bad.yaml" -f "$T/empty.yaml"
expect_rc 1 "an invalid SLO and an empty file"
grep -q "no ServiceLevelObjective found" "$T/err" && fail "an invalid SLO was found: no 'none found' line" \
	|| ok "an invalid SLO counts as found"
run validate -f "$T/does-not-exist.yaml"
grep -q "no ServiceLevelObjective found" "$T/err" && fail "missing file: one problem is enough" \
	|| ok "missing file: only its own problem"

# Strings longer than the CRD allows, as a user meets them: the field and the
# limit, at once, for a multi-megabyte description (never copied into alerts).
{ slo huge ns 99.5; printf '  description: '; head -c $((8 << 20)) /dev/zero | tr '\0' d; echo; } >"$T/huge.yaml"
start=$(date +%s)
run validate -f "$T/huge.yaml"
expect_rc 1 "8 MiB description"
expect_err "^$T/huge.yaml:13:16: spec.description: must be at most 1024 characters, got 8388608$" \
	"8 MiB description refused with field and limit"
[ $(($(date +%s) - start)) -lt 20 ] && ok "8 MiB description: no hang" || fail "8 MiB description took over 20s"
[ "$(wc -c <"$T/err")" -lt 1000 ] && ok "the message does not quote the value" || fail "stderr of $(wc -c <"$T/err") bytes"
{ slo longname ns 99.5; printf '  alerting:\n    labels:\n      %s: x\n' "$(printf 'n%.0s' $(seq 64))"; } >"$T/longname.yaml"
run validate -f "$T/longname.yaml"
expect_rc 1 "label name of 64 characters"
expect_err "spec.alerting.labels.n{64}: name must be at most 63 characters, got 64" "label name limit named"

{ slo dup ns 99; echo "---"; slo dup ns 99.5; } >"$T/dup.yaml"
run validate -f "$T/dup.yaml"
expect_rc 1 "duplicate namespace/name"
expect_err "metadata.name: duplicate ServiceLevelObjective ns/dup" "duplicate named"

cat >"$T/nokind.yaml" <<'YAML'
metadata: {name: x}
YAML
run validate -f "$T/nokind.yaml"
expect_rc 1 "document without kind"
expect_err "nokind.yaml:1:[0-9]+: kind: missing" "missing kind reported"

# expectedEventsPerDay: a warning (exit 0) under 10 allowed failures per window
# (eb * events a day * window days, computed here), none from 10 on
traffic() { slo "$1" ns "$2"; printf '  window: %s\n  traffic: {expectedEventsPerDay: %s}\n' "$3" "$4"; }
allowed() { python3 -c 'import sys; o, d, e = map(float, sys.argv[1:]); print("%.4g" % ((1 - o / 100) * d * e))' "$@"; }
traffic few 99 30d 10 >"$T/few.yaml"
run validate -f "$T/few.yaml"
expect_rc 0 "too few failures is a warning, not an error"
a=$(allowed 99 30 10)
expect_err "few.yaml:1: warning: ns/few: spec.traffic.expectedEventsPerDay: at 10 events a day, 99% over 30d allows $a failures per window: too few to alert on" \
	"warning names the field and the numbers ($a failures by hand)"
expect_err "spec.alerting.preset: low-traffic" "warning suggests the low-traffic preset"
expect_out "1 ServiceLevelObjective\(s\) valid" "still valid"
traffic few7 99.9 6d 1000 >"$T/few7.yaml"
run validate -f "$T/few7.yaml"
a=$(allowed 99.9 6 1000)
expect_err "at 1000 events a day, 99.9% over 6d allows $a failures per window" "6d window: $a by hand"
# just under and just over 10: 10 / (0.01 * 30) = 33.3 events a day
traffic under 99 30d 33 >"$T/under.yaml"
run validate -f "$T/under.yaml"
expect_err "allows $(allowed 99 30 33) failures per window" "33 a day at 99% warns"
traffic enough 99 30d 34 >"$T/enough.yaml"
run validate -f "$T/enough.yaml"
expect_rc 0 "34 a day at 99%"
[ ! -s "$T/err" ] && ok "no warning at $(allowed 99 30 34) failures per window" || fail "warned: $(cat "$T/err")"
slo nowarn ns 99 >"$T/nowarn.yaml"
run validate -f "$T/nowarn.yaml"
[ ! -s "$T/err" ] && ok "no warning without expectedEventsPerDay" || fail "warned: $(cat "$T/err")"

run validate
expect_rc 2 "no -f is a usage error"
run validate --bogus -f x
expect_rc 2 "unknown flag is a usage error"
run validate --help
expect_rc 0 "--help"
expect_out "^usage: burnrate validate" "help text on stdout"
run frobnicate
expect_rc 2 "unknown command"
run version
expect_rc 0 "version"
expect_out "^burnrate [0-9]+\.[0-9]+\.[0-9]+$" "version string"
finish
