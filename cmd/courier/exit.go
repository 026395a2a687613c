package main

import (
	"errors"
	"fmt"
	"io"
	"strings"
)

// Exit codes (contract §8). This file is the one place errors become exit codes.
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
	return &exitError{code: exitUsage, msg: fmt.Sprintf(format, args...)}
}

func configErrorf(format string, args ...any) error {
	return &exitError{code: exitConfig, msg: fmt.Sprintf(format, args...)}
}

// silent is an exit with code whose explanation was already printed.
func silent(code int) error { return &exitError{code: code} }

// report prints err (one line per line, each prefixed "courier: " unless it already starts with it;
// nothing for a silent exit) and returns its exit code.
func report(err error, stderr io.Writer) int {
	if err == nil {
		return exitOK
	}
	code := exitFailure
	msg := err.Error()
	var ee *exitError
	if errors.As(err, &ee) {
		code = ee.code
		if ee.msg == "" { // the lines were already printed
			msg = ""
		}
	}
	if msg != "" {
		for _, line := range strings.Split(strings.TrimRight(msg, "\n"), "\n") {
			if !strings.HasPrefix(line, "courier: ") {
				line = "courier: " + line
			}
			fmt.Fprintln(stderr, line)
		}
	}
	return code
}
