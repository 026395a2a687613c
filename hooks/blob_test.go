package hooks_test

import (
	"strings"
	"testing"
)

// TestHashBlobAfterCleanFilters: HashBlob gives the id `git add` stores, after core.autocrlf,
// .gitattributes text/eol and a clean filter (docs/protocol.md, "Draft versions").
func TestHashBlobAfterCleanFilters(t *testing.T) {
	t.Parallel()
	const crlf = "---\r\nprovider: file\r\nto: ops\r\n---\r\nlocal-token\r\n"
	for _, tt := range []struct {
		name  string
		setup func(r *repo)
	}{
		{"core.autocrlf", func(r *repo) { r.git("config", "core.autocrlf", "true") }},
		{"gitattributes eol", func(r *repo) { r.write(".gitattributes", "*.md text eol=lf\n") }},
		{"gitattributes text=auto", func(r *repo) { r.write(".gitattributes", "*.md text=auto\n") }},
		{"clean filter", func(r *repo) {
			r.git("config", "filter.cleanup.clean", "sed -e s/local-token/CLEANED/")
			r.write(".gitattributes", "*.md filter=cleanup\n")
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := newRepo(t)
			tt.setup(r)
			r.write(draftA, crlf)
			r.git("add", "-A")
			want := strings.Fields(r.git("ls-files", "-s", draftA))[1]
			if want == r.blob(crlf) {
				t.Fatalf("the setup does not change the stored blob")
			}
			// An unconverted path beside it keeps the blob id of its bytes.
			got, err := r.open().HashBlobs([]string{draftA, "plain.txt"}, [][]byte{[]byte(crlf), []byte(crlf)})
			if err != nil || len(got) != 2 || got[0] != want {
				t.Fatalf("HashBlobs = %v, %v; git add stored %s", got, err, want)
			}
			r.write("plain.txt", crlf)
			r.git("add", "plain.txt")
			if plain := strings.Fields(r.git("ls-files", "-s", "plain.txt"))[1]; got[1] != plain {
				t.Errorf("HashBlobs(plain.txt) = %s; git add stored %s", got[1], plain)
			}
		})
	}
}
