package hooks_test

import (
	"strings"
	"testing"
)

// TestHashBlobAfterCleanFilters: HashBlob gives the id `git add` stores, after core.autocrlf,
// .gitattributes text/eol and a clean filter (docs/protocol.md, "Draft versions").
func TestHashBlobAfterCleanFilters(t *testing.T) {
	const crlf = "---\r\nprovider: file\r\nto: ops\r\n---\r\nlocal-token\r\n"
	for _, tt := range []struct {
		name  string
		setup func(r *repo)
	}{
		{"core.autocrlf", func(r *repo) { r.git("config", "core.autocrlf", "true") }},
		{"gitattributes eol", func(r *repo) { r.write(".gitattributes", "*.md text eol=lf\n") }},
		{"clean filter", func(r *repo) {
			r.git("config", "filter.cleanup.clean", "sed -e s/local-token/CLEANED/")
			r.write(".gitattributes", "*.md filter=cleanup\n")
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := newRepo(t)
			tt.setup(r)
			r.write(draftA, crlf)
			r.git("add", "-A")
			want := strings.Fields(r.git("ls-files", "-s", draftA))[1]
			if want == r.blob(crlf) {
				t.Fatalf("the setup does not change the stored blob")
			}
			got, err := r.open().HashBlob(draftA, []byte(crlf))
			if err != nil || got != want {
				t.Errorf("HashBlob = %s, %v; git add stored %s", got, err, want)
			}
		})
	}
}
