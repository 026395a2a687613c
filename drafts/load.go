package drafts

import "errors"

// LoadAll loads the drafts at paths with [LoadInput], in order. A path that cannot be a draft
// (symbolic link, outside the repository) comes back as a validation error, not as an error.
func LoadAll(repoTop, cwd string, paths []string) ([]Input, []*ValidationError, error) {
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
	return inputs, invalid, nil
}
