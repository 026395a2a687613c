package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/monoco/courier/drafts"
	"github.com/monoco/courier/templates"
)

// Set at build time by install.sh: -ldflags "-X main.version=… -X main.commit=…".
var (
	version = "dev"
	commit  = "unknown"
)

func (a *app) versionCmd() *cli.Command {
	return &cli.Command{
		Name:  "version",
		Usage: "print version, commit and Go version",
		Action: func(*cli.Context) error {
			fmt.Fprintf(a.stdout, "courier %s (commit %s, %s)\n", version, commit, runtime.Version())
			return nil
		},
	}
}

func (a *app) schemaCmd() *cli.Command {
	return &cli.Command{
		Name:  "schema",
		Usage: "print the draft JSON Schema",
		Action: func(*cli.Context) error {
			_, err := a.stdout.Write(drafts.Schema())
			return err
		},
	}
}

func draftTemplates() []string {
	ents, _ := fs.ReadDir(templates.FS, "drafts")
	var out []string
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".md") {
			out = append(out, strings.TrimSuffix(e.Name(), ".md"))
		}
	}
	sort.Strings(out)
	return out
}

func (a *app) draftCmd() *cli.Command {
	return &cli.Command{
		Name:  "draft",
		Usage: "create drafts",
		Subcommands: []*cli.Command{{
			Name:      "new",
			Usage:     "write a new draft in the current work item's drafts directory",
			ArgsUsage: "[NAME]",
			Flags: []cli.Flag{
				&cli.StringFlag{Name: "template", Aliases: []string{"t"}, Value: "notify",
					Usage: "template `T`: " + strings.Join(draftTemplates(), ", ")},
				&cli.StringFlag{Name: "provider", Usage: "provider `P` (default: file; email for the email template)"},
				&cli.StringFlag{Name: "to", Usage: "recipient `X`: channel alias, chat id or email address"},
				&cli.StringFlag{Name: "item", Usage: "work item `ID` instead of the branch's"},
			},
			Action: func(c *cli.Context) error {
				tpl := c.String("template")
				data, err := templates.FS.ReadFile(path.Join("drafts", tpl+".md"))
				if err != nil {
					return usageErrorf("--template %s: unknown (have %s)", tpl, strings.Join(draftTemplates(), ", "))
				}
				s, err := a.session(c.String("item"))
				if err != nil {
					return err
				}
				if !s.hasItem {
					return fmt.Errorf("branch %q is not a work-item branch; use --item", s.branch)
				}
				name := c.Args().First()
				if name == "" {
					name = tpl + "-" + a.now().UTC().Format("20060102T150405")
				}
				name = strings.TrimSuffix(name, ".md")
				if strings.ContainsAny(name, `/\`) || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") {
					return usageErrorf("draft name %q: no slashes, must not start with . or _", name)
				}
				provider := firstNonEmpty(c.String("provider"), "file")
				to := firstNonEmpty(c.String("to"), "local")
				if tpl == "email" {
					provider = firstNonEmpty(c.String("provider"), "email")
					to = firstNonEmpty(c.String("to"), "someone@example.com")
				}
				text := strings.NewReplacer("{{provider}}", provider, "{{to}}", yamlScalar(to)).Replace(string(data))
				dir := filepath.Join(s.ws.repo.Top, filepath.FromSlash(s.item.Dir))
				if err := os.MkdirAll(dir, 0o755); err != nil {
					return err
				}
				p := filepath.Join(dir, name+".md")
				f, err := os.OpenFile(p, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
				if errors.Is(err, fs.ErrExist) {
					return fmt.Errorf("%s already exists", relPath(s.ws.repo.Top, p))
				}
				if err != nil {
					return err
				}
				if _, err := f.WriteString(text); err != nil {
					f.Close()
					return err
				}
				if err := f.Close(); err != nil {
					return err
				}
				fmt.Fprintln(a.stdout, relPath(s.ws.repo.Top, p))
				if _, ok := draftsConfig(s.ws.cfg).Providers[provider]; !ok && provider != "file" {
					cfgPath := ".monoco/courier.yaml"
					if s.ws.cfg.path != "" {
						cfgPath = relPath(s.ws.root, s.ws.cfg.path)
					}
					fmt.Fprintf(a.stderr, "courier: note: provider %q is not configured: add providers.%s to %s, or the commit of this draft is blocked (README, \"Providers\")\n",
						provider, provider, cfgPath)
				}
				return nil
			},
		}},
	}
}

// yamlScalar quotes s when YAML would not read it back as the same plain string.
func yamlScalar(s string) string {
	if s == "" || strings.ContainsAny(s, ":#{}[],&*!|>'\"%@`") || strings.TrimSpace(s) != s {
		return fmt.Sprintf("%q", s)
	}
	return s
}
