#!/usr/bin/env bash
# burnrate validate: exit codes and one "file:line:col: field: message" line
# per problem, over files, directories, stdin, Lists and foreign kinds.
. "$(dirname "$0")/lib.sh"

run validate -f "$SRC/examples"
expect_rc 0 "examples/ are valid"
expect_out "5 ServiceLevelObjective" "all five examples counted"

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

: >"$T/empty.yaml"
run validate -f "$T/empty.yaml"
expect_rc 0 "empty file: nothing to validate"

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
