package drafts

import (
	"errors"
	"fmt"
)

// BlobHasher returns the blob id git would store for content at the repository-relative path rel:
// after clean filters (core.autocrlf, .gitattributes text/eol/filter), so that a working-tree draft
// and the same draft committed are one draft version (docs/protocol.md, "Draft versions").
type BlobHasher func(rel string, content []byte) (string, error)

// LoadAll loads the drafts at paths with [LoadInput], in order, each identified by the blob id hash
// gives its content (nil: the id of the bytes as they are). A path that cannot be a draft (symbolic
// link, outside the repository, too large) comes back as a validation error, not as an error.
func LoadAll(repoTop, cwd string, paths []string, hash BlobHasher) ([]Input, []*ValidationError, error) {
	var inputs []Input
	var invalid []*ValidationError
	for _, p := range paths {
		in, err := LoadInput(repoTop, cwd, p)
		var ve *ValidationError
		switch {
		case errors.As(err, &ve):
			invalid = append(invalid, ve)
		case err != nil:
			return nil, nil, err
		default:
			if hash != nil {
				if in.Blob, err = hash(in.Path, in.Content); err != nil {
					return nil, nil, fmt.Errorf("draft %s: %w", in.Path, err)
				}
			}
			inputs = append(inputs, in)
		}
	}
	return inputs, invalid, nil
}
