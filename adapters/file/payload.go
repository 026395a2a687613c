package file

import "github.com/monoco/courier/delivery/mailbox"

// payload is what the file provider writes: the message file itself (frontmatter + body), so the
// written copy reads back with mailbox.Parse.
func payload(m *mailbox.Message) ([]byte, error) { return mailbox.Marshal(m) }
