package hooks

// Validate-only installs (docs/protocol.md, "Central mode"): an agent's machine validates drafts before
// they are committed and pushed, and a central courier delivers them; so only pre-commit is installed.

// installNames lists the hooks Install writes under o: all of courier's, or pre-commit alone when
// o.ValidateOnly.
func (o InstallOptions) installNames() []string {
	if o.ValidateOnly {
		return []string{"pre-commit"}
	}
	return hookNames()
}

// ValidateOnly reports whether the hooks are a validate-only install: courier's pre-commit is there
// and neither of its delivery hooks (post-commit, post-rewrite) is.
func (rep *StatusReport) ValidateOnly() bool {
	pre, delivery := false, false
	for _, h := range rep.Hooks {
		switch h.Name {
		case "pre-commit":
			pre = h.Courier
		default:
			delivery = delivery || h.Courier
		}
	}
	return pre && !delivery
}
