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
chained=$dir/$hook.courier-chained
[ -x "$chained" ] || exit 0
# A sh/bash/dash script runs with $0 still this hook's path (husky finds its work from $0's name).
IFS= read -r line < "$chained" || :
case $line in
'#!'*[/\ ]sh | '#!'*[/\ ]sh\ -* | '#!'*[/\ ]bash | '#!'*[/\ ]bash\ -* | '#!'*[/\ ]dash | '#!'*[/\ ]dash\ -*)
	exec ${line#??} -c '. "$0.courier-chained"' "$dir/$hook" "$@" ;;
esac
exec "$chained" "$@"
