#!/bin/sh
# courier-hook v1 — managed by courier; remove with: courier hooks uninstall
# Git @HOOK@ hook. The logic lives in `courier hooks run @HOOK@`; this script only finds courier.
# COURIER_SKIP=1 skips courier (the project's own hook, if courier chained one, still runs).
hook=@HOOK@
courier=@COURIER@
case $0 in */*) dir=${0%/*} ;; *) dir=. ;; esac
if [ "${COURIER_SKIP:-}" = 1 ]; then
	echo "courier: COURIER_SKIP=1, skipping $hook" >&2
elif [ -n "$courier" ] && [ -x "$courier" ]; then
	exec "$courier" hooks run "$hook" "$@"
elif command -v courier >/dev/null 2>&1; then
	exec courier hooks run "$hook" "$@"
else
	echo "courier: binary not found (was ${courier:-not recorded}); reinstall courier or run 'courier hooks uninstall'; not blocking this commit" >&2
fi
if [ -x "$dir/$hook.courier-chained" ]; then
	exec "$dir/$hook.courier-chained" "$@"
fi
exit 0
