// Command courier-guard is `courier guard check` in a binary of its own, for agents' hooks: it runs
// before every tool call, and links only the guard (no providers, no git library, no HTTP), so that it
// starts in a fraction of courier's time. Flags, exit codes and messages are those of
// `courier guard check`; see README.md, "Agents".
package main

import (
	"os"

	"github.com/monoco/courier/guard"
)

var version = "dev" // set by install.sh (-ldflags -X)

func main() {
	os.Exit(guard.Main(os.Args[1:], version, os.Getenv, os.Stdin, os.Stdout, os.Stderr))
}
