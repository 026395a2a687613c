#!/bin/sh
# courier-hook v1 — managed by courier; remove with: courier hooks uninstall
# Git @HOOK@ hook. The logic lives in `courier hooks run @HOOK@`; this script finds courier and starts it only
# when the commit adds or changes a path under the pathspecs below (drafts directories, folders that look
# like one, the mailbox): pre-commit runs one git command, and post-commit none when this commit's
# pre-commit left the marker below naming it, else one (docs/protocol.md, "Hooks").
# COURIER_SKIP=1 skips courier (the project's own hook, if courier chained one, still runs).
hook=@HOOK@
courier=@COURIER@
pathspecs='@PATHSPECS@'
seen=@SEEN@
marked=
case $0 in */*) dir=${0%/*} ;; *) dir=. ;; esac
chained=$dir/$hook.courier-chained

# touched lists the paths under $pathspecs that the index (pre-commit) or commit $1 adds or changes,
# renames as delete + add, submodules included. It fails when git does. Always called in a subshell
# (command substitution or a pipeline), so its unset, IFS and set -f stay there: no extra fork.
touched() {
	unset GIT_LITERAL_PATHSPECS GIT_GLOB_PATHSPECS GIT_NOGLOB_PATHSPECS GIT_ICASE_PATHSPECS
	IFS='
'
	set -f
	if [ "$1" = --cached ]; then
		git diff --cached --name-only --no-renames --diff-filter=d --ignore-submodules=none \
			--no-ext-diff --no-textconv --no-color -- $pathspecs
	else
		git diff-tree --no-commit-id --name-only -r --root --no-renames --diff-filter=d \
			--ignore-submodules=none --no-ext-diff --no-textconv --no-color "$1" -- $pathspecs
	fi
}

# chain runs the project's own hook, if courier chained one, as git would have run it; a sh, bash or dash
# script runs with $0 still this hook's path (husky finds its work from $0's name).
chain() {
	[ -x "$chained" ] || return 0
	IFS= read -r line < "$chained" || :
	case $line in
	'#!'*[/\ ]sh | '#!'*[/\ ]sh\ -* | '#!'*[/\ ]bash | '#!'*[/\ ]bash\ -* | '#!'*[/\ ]dash | '#!'*[/\ ]dash\ -*)
		${line#??} -c '. "$0.courier-chained"' "$dir/$hook" "$@" ;;
	*) "$chained" "$@" ;;
	esac
}

# ident sets id to the words naming the git process that runs this hook (`git commit` runs pre-commit and
# post-commit itself): boot, pid and start time of $PPID (a reused pid does not match) and the worktree.
# It fails without /proc, or when the parent is not git. Builtins only, as in mark, unmark and premarked:
# no fork.
ident() {
	[ -n "$seen" ] || return 1
	{ IFS= read -r boot </proc/sys/kernel/random/boot_id && IFS= read -r stat <"/proc/$PPID/stat"; } 2>/dev/null ||
		return 1
	case $stat in "$PPID (git) "*) ;; *) return 1 ;; esac
	set -- ${stat#"$PPID (git) "} # fields 3 on: the start time is field 22
	[ $# -ge 20 ] || return 1
	shift 19
	case $1 in '' | *[!0-9]*) return 1 ;; esac
	id="v1 $boot $PPID $1 $PWD ."
}

# mark (pre-commit, before it looks) writes the marker $seen: "courier-seen none <id>", no draft in the
# index of this commit's git process. unmark turns it into "courier-seen drafts <id>" when pre-commit found
# a draft (or could not look), and blocks the commit when it cannot.
mark() { ident && printf 'courier-seen none %s\n' "$id" 2>/dev/null >"$seen" && marked=1; }
unmark() {
	[ -z "$marked" ] || printf 'courier-seen drafts %s\n' "$id" 2>/dev/null >"$seen" && return
	echo "courier: cannot write $seen (post-commit would take this commit for one without drafts); commit blocked: remove that file" >&2
	exit 1
}

# premarked (post-commit) tells what this commit's pre-commit found: 0 no draft in the index it committed
# (the marker names this very git process and is newer than the index, which a path staged while pre-commit
# looked would make newer), 2 drafts, 1 nothing known. It empties the marker: it serves once.
premarked() {
	ident || return 1
	{ IFS= read -r line <"$seen"; } 2>/dev/null || return 1
	case $line in
	"courier-seen drafts $id") printf '' 2>/dev/null >"$seen"; return 2 ;;
	"courier-seen none $id") ;;
	*) return 1 ;;
	esac
	[ -n "${GIT_INDEX_FILE:-}" ] && [ -f "$GIT_INDEX_FILE" ] && [ "$seen" -nt "$GIT_INDEX_FILE" ] || return 1
	printf '' 2>/dev/null >"$seen"
}

# skipped names the paths courier did not look at, from $paths.
skipped() {
	[ -n "$paths" ] || return 0
	case $hook in pre-commit) what="not validated" ;; *) what="not delivered" ;; esac
	printf '%s\n' "$paths" | while IFS= read -r p; do echo "courier: COURIER_SKIP=1: $what: $p" >&2; done
	echo "courier: \`courier deliver\` delivers the drafts among them later" >&2
}

if [ "${COURIER_SKIP:-}" = 1 ]; then
	echo "courier: COURIER_SKIP=1, skipping $hook" >&2
	paths=
	case $hook in
	pre-commit) [ -z "$pathspecs" ] || paths=$(touched --cached) ;;
	post-commit) [ -z "$pathspecs" ] || paths=$(touched HEAD) ;;
	post-rewrite)
		input=$(cat) # "old new" lines, for the project's hook too
		[ -z "$pathspecs" ] || paths=$(printf '%s\n' "$input" | while read -r old new rest; do (touched "$new"); done)
		skipped
		printf '%s\n' "$input" | chain "$@"
		exit
		;;
	esac
	skipped
	chain "$@"
	exit
fi

if [ -n "$pathspecs" ] && [ "$hook" != post-rewrite ]; then
	case $hook in
	pre-commit) rev=--cached; mark ;;
	*)
		rev=HEAD
		premarked
		case $? in
		0) chain "$@"; exit ;; # no draft, as pre-commit found: run the project's hook alone
		2) rev= ;;             # drafts, as pre-commit found: courier needs no git to say so
		esac
		;;
	esac
	if [ -n "$rev" ] && paths=$(touched $rev) && [ -z "$paths" ]; then
		# Nothing for courier here: run the project's hook alone.
		[ "$hook" = pre-commit ] && [ -x "$chained" ] || { chain "$@"; exit; }
		chain "$@" || exit
		# It may have staged a draft: look again (courier would then run it once more).
		mark
		if paths=$(touched --cached) && [ -z "$paths" ]; then
			exit 0
		fi
	fi
	[ "$hook" != pre-commit ] || unmark
fi

# courier finds the repository from the top of the worktree, where git runs hooks, and this directory.
COURIER_HOOK_DIR=$dir
export COURIER_HOOK_DIR
if [ -n "$courier" ] && [ -x "$courier" ]; then
	exec "$courier" hooks run "$hook" "$@"
elif command -v courier >/dev/null 2>&1; then
	exec courier hooks run "$hook" "$@"
else
	echo "courier: binary not found (was ${courier:-not recorded}); reinstall courier or run 'courier hooks uninstall'; not blocking this commit" >&2
fi
chain "$@"
