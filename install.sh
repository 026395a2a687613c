#!/bin/sh
# Build courier and courier-guard (the lean binary agents' hooks run) with the local Go toolchain,
# install both to ${PREFIX:-$HOME/.local}/bin, then run `courier demo` (the whole loop in a throwaway
# repository). Idempotent: run it again to update.
# Set COURIER_NO_DEMO=1 to skip the demo.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
prefix=${PREFIX:-$HOME/.local}
bindir="$prefix/bin"

if ! command -v go >/dev/null 2>&1; then
	echo "install.sh: the go tool is not on PATH; install Go 1.26 or newer from https://go.dev/dl/" >&2
	exit 1
fi
if ! command -v git >/dev/null 2>&1; then
	echo "install.sh: git is not on PATH; courier needs git" >&2
	exit 1
fi

cd "$here"
version=$(git describe --tags --always --dirty 2>/dev/null || echo dev)
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
mkdir -p "$bindir"
tmp="$bindir/.courier.tmp.$$"
tmpguard="$bindir/.courier-guard.tmp.$$"
trap 'rm -f "$tmp" "$tmpguard"' EXIT
ldflags="-s -w -X main.version=$version -X main.commit=$commit"
# urfave_cli_no_docs drops urfave/cli's man-page and Markdown generators (courier uses neither) and
# with them blackfriday, whose package init cost every start of the binary ≈1 ms; git hooks start it
# on every commit. The tag is for the installed binary only: tests and `go vet` pass without it.
go build -tags urfave_cli_no_docs -trimpath -ldflags "$ldflags" -o "$tmp" ./cmd/courier
# courier-guard is `courier guard check` alone: agents' hooks start it before every tool call, and it
# starts in a fraction of courier's time. `courier guard install` uses it when it sits next to courier.
go build -trimpath -ldflags "-s -w -X main.version=$version" -o "$tmpguard" ./cmd/courier-guard
mv -f "$tmp" "$bindir/courier"
mv -f "$tmpguard" "$bindir/courier-guard"
trap - EXIT
echo "installed $bindir/courier ($("$bindir/courier" version))"
echo "installed $bindir/courier-guard ($("$bindir/courier-guard" --version))"

case ":$PATH:" in
*":$bindir:"*) echo "$bindir is on your PATH" ;;
*) echo "note: $bindir is not on your PATH; add it, e.g.: export PATH=\"$bindir:\$PATH\"" ;;
esac

if [ "${COURIER_NO_DEMO:-}" != 1 ]; then
	echo "running courier demo (the whole loop through the built-in file provider):"
	"$bindir/courier" demo
fi
