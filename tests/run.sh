#!/bin/sh
# Runs the unit test binaries given as arguments and every integration test;
# each prints PASS/FAIL lines.  Ends with "N passed, N failed"; exits 1 on
# any failure.
passed=0
failed=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

run() {
	name=$1
	shift
	"$@" >"$log" 2>&1
	rc=$?
	p=$(grep -c '^PASS ' "$log")
	f=$(grep -c '^FAIL ' "$log")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1	# crashed or failed outside a test
		echo "FAIL $name exited $rc" >>"$log"
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	if [ "$f" -eq 0 ]; then
		echo "[OKAY] $name ($p)"
	else
		echo "[FAIL] $name ($p passed, $f failed)"
		grep -v '^PASS ' "$log" | sed 's/^/    /'
	fi
}

for t in "$@"; do
	run "$t" ${NOTICEWATCH_WRAP:-} "./$t"
done
for t in tests/integration/test_*.py; do
	run "$t" /usr/bin/python3 "$t"
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
