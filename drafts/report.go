package drafts

import (
	"fmt"
	"io"
)

// Checked is `courier validate --json` (README.md, "JSON output"): every problem of the invalid
// drafts and the paths of the valid ones.
type Checked struct {
	Invalid []*ValidationError `json:"invalid"`
	Valid   []string           `json:"valid"`
}

// PrintErrors writes one `path:line: field: message` line per problem.
func PrintErrors(w io.Writer, errs []*ValidationError) {
	for _, e := range errs {
		fmt.Fprintln(w, e.Error())
	}
}
