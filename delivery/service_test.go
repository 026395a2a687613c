package delivery

import (
	"encoding/xml"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"text/template"
)

// The service unit templates live in templates/service/ (embedded by package templates); this checks
// that they execute with the documented placeholders and produce a well-formed plist and unit.
func TestServiceTemplates(t *testing.T) {
	t.Parallel()
	data := map[string]string{"Binary": "/opt/bin/courier", "RepoDir": "/home/me/repo", "RepoArg": "/home/me/repo",
		"LogPath": "/home/me/.local/state/courier.log", "Label": "dev.monoco.courier.repo", "Args": ""}
	render := func(name string) string {
		src, err := os.ReadFile("../templates/service/" + name)
		if err != nil {
			t.Fatal(err)
		}
		tpl, err := template.New(name).Option("missingkey=error").Parse(string(src))
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		if err := tpl.Execute(&b, data); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}

	unit := render("courier.service")
	for _, want := range []string{"[Unit]", "[Service]", "[Install]", `ExecStart="/opt/bin/courier" -C "/home/me/repo" watch`,
		"WorkingDirectory=/home/me/repo", "StandardOutput=append:/home/me/.local/state/courier.log", "KillSignal=SIGTERM"} {
		if !strings.Contains(unit, want) {
			t.Errorf("unit lacks %q:\n%s", want, unit)
		}
	}

	plist := render("courier.plist")
	dec := xml.NewDecoder(strings.NewReader(plist))
	var strs []string
	inString := false
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("plist is not well-formed XML: %v\n%s", err, plist)
		}
		switch v := tok.(type) {
		case xml.StartElement:
			inString = v.Name.Local == "string"
		case xml.CharData:
			if inString {
				strs = append(strs, string(v))
			}
		case xml.EndElement:
			inString = false
		}
	}
	want := []string{"dev.monoco.courier.repo", "/opt/bin/courier", "-C", "/home/me/repo", "watch", "/home/me/repo",
		"/home/me/.local/state/courier.log", "/home/me/.local/state/courier.log"}
	if strings.Join(strs, "|") != strings.Join(want, "|") {
		t.Errorf("plist strings %q, want %q", strs, want)
	}
}
