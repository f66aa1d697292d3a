#!/usr/bin/env bash
# The offline walk-through (hack/demo.sh --offline): validates the example SLOs,
# explains their alert tables, renders their PrometheusRules and the Alertmanager
# configuration that routes their alerts (all of them written to out/demo/), and
# checks them with promtool and amtool. Expects burnrate built in build/.
set -euo pipefail
cd "$(dirname "$0")/../.."
br=./build/cmd/burnrate/burnrate
step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }

step burnrate version
$br version

step burnrate validate -f examples/
$br validate -f examples/

step burnrate explain -f examples/payments-checkout.yaml -f examples/booking-integration.yaml
$br explain -f examples/payments-checkout.yaml -f examples/booking-integration.yaml

rm -rf out/demo && mkdir -p out/demo
step burnrate generate -f examples/ -o out/demo/prometheusrules
$br generate -f examples/ -o out/demo/prometheusrules
$br generate --format rules -f examples/ >out/demo/rules.yaml
$br explain -f examples/ >out/demo/explain.txt
for f in out/demo/prometheusrules/*.yaml; do
	printf '  %-62s %3d recording rules, %d alerts\n' "$f" \
		"$(grep -c -- '- record:' "$f")" "$(grep -c -- '- alert:' "$f")"
done

step "burnrate generate -f examples/payments-checkout.yaml   # the alerts group"
$br generate -f examples/payments-checkout.yaml | sed -n '/\/alerts$/,$p'

step burnrate generate --alertmanager-base examples/alertmanager/base-secret.yaml -f examples/ -o out/demo/routing
$br generate --alertmanager-base examples/alertmanager/base-secret.yaml -f examples/ -o out/demo/routing 2>/dev/null
sed -n '/^route:/,/^receivers:/p' out/demo/routing/alertmanager.yaml | head -n 24
if command -v amtool >/dev/null; then
	step amtool check-config out/demo/routing/alertmanager.yaml
	amtool check-config out/demo/routing/alertmanager.yaml 2>&1 | head -n 1
	step "amtool config routes test ...  # a page of payments/checkout-availability, then the same from namespace search"
	amtool config routes test --config.file=out/demo/routing/alertmanager.yaml slo_namespace=payments \
		slo=checkout-availability burnrate_severity=page burnrate_receiver=payments-pagerduty 2>/dev/null
	amtool config routes test --config.file=out/demo/routing/alertmanager.yaml slo_namespace=search \
		slo=checkout-availability burnrate_severity=page burnrate_receiver=payments-pagerduty 2>/dev/null
fi

if command -v promtool >/dev/null; then
	step promtool check rules out/demo/rules.yaml
	promtool check rules out/demo/rules.yaml
fi
printf '\nAll output is in out/demo/ (PrometheusRules, a plain rules file, explain.txt, routing/).\n'
