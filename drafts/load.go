package drafts

import (
	"errors"
	"fmt"
)

// BlobHasher returns, for each content at the repository-relative path of the same index, the blob id
// git would store for it: after clean filters (core.autocrlf, .gitattributes text/eol/filter), so that
// a working-tree draft and the same draft committed are one draft version (docs/protocol.md, "Draft
// versions").
type BlobHasher func(rels []string, contents [][]byte) ([]string, error)

// LoadAll loads the drafts at paths with [LoadInput], in order, each identified by the blob id hash
// gives its content (nil: the id of the bytes as they are). A path that cannot be a draft (symbolic
// link, outside the repository, too large) comes back as a validation error, not as an error. Every
// draft is read before any is hashed, so that the drafts are read as close together as they can be.
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
			inputs = append(inputs, in)
		}
	}
	if hash == nil || len(inputs) == 0 {
		return inputs, invalid, nil
	}
	rels, contents := make([]string, len(inputs)), make([][]byte, len(inputs))
	for i, in := range inputs {
		rels[i], contents[i] = in.Path, in.Content
	}
	ids, err := hash(rels, contents)
	if err == nil && len(ids) != len(inputs) {
		err = fmt.Errorf("%d blob ids for %d drafts", len(ids), len(inputs))
	}
	if err != nil {
		return nil, nil, fmt.Errorf("draft versions: %w", err)
	}
	for i := range inputs {
		inputs[i].Blob = ids[i]
	}
	return inputs, invalid, nil
}
