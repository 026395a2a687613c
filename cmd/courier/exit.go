package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/monoco/courier/drafts"
	"github.com/monoco/courier/hooks"
)

// Exit codes (README.md, "Commands"). This file is the one place errors become exit codes.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
	exitInvalid = 65 // EX_DATAERR: an invalid draft
	exitConfig  = 78 // EX_CONFIG: a configuration error
)

// exitError carries an exit code. An empty message means the lines were already printed.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

func usageErrorf(format string, args ...any) error {
	return &exitError{exitUsage, fmt.Sprintf(format, args...)}
}

func configErrorf(format string, args ...any) error {
	return &exitError{exitConfig, fmt.Sprintf(format, args...)}
}

// silent is an exit with code whose explanation was already printed.
func silent(code int) error { return &exitError{code: code} }

// report prints err (one line per line, each prefixed "courier: " unless it already starts with it;
// nothing for a silent exit) and returns its exit code.
func report(err error, stderr io.Writer) int {
	if err == nil {
		return exitOK
	}
	ee := (*exitError)(nil)
	if msg := err.Error(); msg != "" && !(errors.As(err, &ee) && ee.msg == "") {
		for _, line := range strings.Split(strings.TrimRight(msg, "\n"), "\n") {
			fmt.Fprintln(stderr, "courier: "+strings.TrimPrefix(line, "courier: "))
		}
	}
	return exitCode(err)
}

// exitCode is the exit code of a failed command: the packages' typed errors whose code is not 1, then
// cmd's own exitError.
func exitCode(err error) int {
	var ee *exitError
	var chained *hooks.ChainedError
	switch {
	case errors.As(err, &ee):
		return ee.code
	case errors.As(err, &chained): // the project's pre-commit hook failed: its code blocks the commit
		return chained.Code
	case errors.Is(err, hooks.ErrUnknownHook), errors.Is(err, drafts.ErrDraftName):
		return exitUsage
	}
	return exitFailure
}

// warn prints one "courier: " line on stderr about something that does not end the command; errors
// that do end it are printed by report.
func (a *app) warn(format string, args ...any) {
	fmt.Fprintf(a.stderr, "courier: "+format+"\n", args...)
}
