package architecture_test

import (
	"fmt"
	"go/scanner"
	"go/token"
	"io/fs"
	"os"
	"path"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"unicode"
)

// The documentation is part of the code: a comment or a page that names a
// file the repository does not have sends the next engineer looking for
// something that is not there. These tests read every Go comment, every
// Markdown page, the Makefile, the SAM template and the Dockerfiles, and
// check that each repository path they name exists.

// readmeMaxLines keeps README.md an entry point (what Sohoa is, the two
// commands, the four users, the layout, links); the rest lives under docs/.
const readmeMaxLines = 200

// skipDirs are folders of build output, local data and tools, not sources.
var skipDirs = []string{".git", "build", ".sohoa", "node_modules"}

// repoPath matches a path from the repository's root as prose writes it:
// pkg/format/scan, ./infra/local/, functions/<name>/main.go, docs/vault.md.
// The character before it may not belong to a longer path or an import path
// (github.com/sohoa/sohoa/pkg/... is checked by the compiler).
var repoPath = regexp.MustCompile(`(?:^|[^\w./-])(?:\./)?((?:pkg|functions|infra|docs|events|testdata)/[\w./{}<>*…-]*)`)

// mdName matches a Markdown file named without a folder (README.md).
var mdName = regexp.MustCompile(`(?:^|[^\w./-])([\w-]+\.md)\b`)

// goName matches a Go file named without a folder (certify.go): prose names
// a file of the package it is about, so the name must be some file's. A
// pattern (*_test.go) is not a name.
var goName = regexp.MustCompile(`(?:^|[^\w./*-])([\w-]+\.go)\b`)

// mdLink matches the target of a Markdown link or image.
var mdLink = regexp.MustCompile(`\]\(([^)\s]+)\)`)

// checked reports whether a file's references are checked, and whether it is
// Go source, of which only the comments are prose (string literals are code:
// routes, test fixtures).
func checked(name string) (ok, goSource bool) {
	switch {
	case strings.HasSuffix(name, ".go"):
		return true, true
	case strings.HasSuffix(name, ".md"), name == "Makefile", name == "infra/template.yaml", path.Base(name) == "Dockerfile":
		return true, false
	}
	return false, false
}

// goComments returns the comments of a Go source file, one per line, so
// that string literals (test fixtures, routes) are not read as prose.
func goComments(src []byte) string {
	fset := token.NewFileSet()
	file := fset.AddFile("", fset.Base(), len(src))
	var s scanner.Scanner
	s.Init(file, src, func(token.Position, string) {}, scanner.ScanComments)
	var b strings.Builder
	for {
		_, tok, lit := s.Scan()
		if tok == token.EOF {
			return b.String()
		}
		if tok == token.COMMENT {
			b.WriteString(lit)
			b.WriteByte('\n')
		}
	}
}

// exists reports whether p names a file or folder of fsys; a path that
// leaves the repository (../…) never does.
func exists(fsys fs.FS, p string) bool {
	p = path.Clean(p)
	if p == ".." || strings.HasPrefix(p, "../") {
		return false
	}
	_, err := fs.Stat(fsys, p)
	return err == nil
}

// trimPath cuts a matched path down to what can be looked up: the folders
// before a placeholder (<name>, {id}, page-*.json, …, ...), and no closing
// punctuation of the sentence.
func trimPath(p string) string {
	i := strings.IndexAny(p, "<{*…")
	if j := strings.Index(p, "..."); j >= 0 && (i < 0 || j < i) {
		i = j
	}
	if i >= 0 {
		// The segment the placeholder is in is a pattern (page-*.json):
		// only the folders before it can be looked up.
		p = p[:strings.LastIndexByte(p[:i], '/')+1]
	}
	p = strings.TrimRight(p, ".,:;-")
	return strings.TrimSuffix(p, "/")
}

// resolves reports whether a path named in dir's file exists from the
// repository's root or from the file's own folder (testdata/ in a package's
// comment is that package's), or is a Go name qualified by an existing
// package (pkg/format/scan.Split).
func resolves(fsys fs.FS, dir, p string) bool {
	if exists(fsys, p) || exists(fsys, path.Join(dir, p)) {
		return true
	}
	base := path.Base(p)
	if i := strings.IndexByte(base, '.'); i > 0 && i+1 < len(base) && unicode.IsUpper(rune(base[i+1])) {
		return exists(fsys, path.Join(path.Dir(p), base[:i]))
	}
	return false
}

// danglingRefs returns the repository paths the file name (read from fsys)
// names that fsys does not hold, each once, in order. goFiles holds the base
// names of the tree's Go files.
func danglingRefs(fsys fs.FS, name string, goFiles map[string]bool) ([]string, error) {
	ok, goSource := checked(name)
	if !ok {
		return nil, nil
	}
	src, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, err
	}
	text := string(src)
	if goSource {
		text = goComments(src)
	}
	dir := path.Dir(name)
	var bad []string
	add := func(p string) {
		if !slices.Contains(bad, p) {
			bad = append(bad, p)
		}
	}
	for _, m := range repoPath.FindAllStringSubmatch(text, -1) {
		if p := trimPath(m[1]); !resolves(fsys, dir, p) {
			add(p)
		}
	}
	for _, m := range mdName.FindAllStringSubmatch(text, -1) {
		p := m[1]
		if !exists(fsys, path.Join(dir, p)) && !exists(fsys, p) && !exists(fsys, path.Join("docs", p)) {
			add(p)
		}
	}
	for _, m := range goName.FindAllStringSubmatch(text, -1) {
		if p := m[1]; !goFiles[p] {
			add(p)
		}
	}
	if strings.HasSuffix(name, ".md") {
		for _, m := range mdLink.FindAllStringSubmatch(text, -1) {
			target, _, _ := strings.Cut(m[1], "#")
			if target == "" || strings.Contains(target, ":") {
				continue // an anchor on the same page, a URL, mailto:
			}
			if !exists(fsys, path.Join(dir, target)) {
				add(target)
			}
		}
	}
	return bad, nil
}

// repoFiles lists the checked files of fsys and the base names of its Go
// files, skipping build output and data.
func repoFiles(fsys fs.FS) (names []string, goFiles map[string]bool, err error) {
	goFiles = map[string]bool{}
	err = fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != "." && (slices.Contains(skipDirs, d.Name()) || strings.HasPrefix(d.Name(), ".")) {
				return fs.SkipDir
			}
			return nil
		}
		if ok, _ := checked(p); ok {
			names = append(names, p)
		}
		if strings.HasSuffix(p, ".go") {
			goFiles[path.Base(p)] = true
		}
		return nil
	})
	return names, goFiles, err
}

// docProblems checks every file of a repository tree: dangling references
// and README.md's length.
func docProblems(fsys fs.FS) ([]string, error) {
	names, goFiles, err := repoFiles(fsys)
	if err != nil {
		return nil, err
	}
	var problems []string
	for _, name := range names {
		bad, err := danglingRefs(fsys, name, goFiles)
		if err != nil {
			return nil, err
		}
		for _, p := range bad {
			problems = append(problems, name+" names "+p+", which does not exist")
		}
	}
	readme, err := fs.ReadFile(fsys, "README.md")
	if err != nil {
		return nil, err
	}
	if n := strings.Count(string(readme), "\n"); n > readmeMaxLines {
		problems = append(problems, fmt.Sprintf("README.md has %d lines, more than %d: move the detail under docs/", n, readmeMaxLines))
	}
	return problems, nil
}

// TestDocReferencesResolve: every repository path a comment or a page
// names exists, and README.md stays short.
func TestDocReferencesResolve(t *testing.T) {
	problems, err := docProblems(os.DirFS(".."))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Error(p)
	}
}

// TestDocProblemsFindDangling runs the checker over small trees, so that a
// dangling reference is known to fail it.
func TestDocProblemsFindDangling(t *testing.T) {
	lines := func(n int) string { return strings.Repeat("line\n", n) }
	tree := func(files map[string]string) fstest.MapFS {
		m := fstest.MapFS{
			"pkg/format/scan/limits.go":      {Data: []byte("package scan\n")},
			"pkg/format/scan/testdata/a.pdf": {Data: []byte("%PDF")},
			"docs/vault.md":                  {Data: []byte("# Vault\n")},
			"infra/servers/up.sh":            {Data: []byte("#!/bin/sh\n")},
			"functions/api/main.go":          {Data: []byte("package main\n")},
			"pkg/domain/dossier/ports.go":    {Data: []byte("package dossier\n")},
			"events/s3-put.json":             {Data: []byte("{}")},
			"testdata/gen/main.go":           {Data: []byte("package main\n")},
			"build/ignored/README.md":        {Data: []byte("pkg/gone")},
			"pkg/format/scan/scan_test.go":   {Data: []byte("package scan\n")},
			"pkg/format/scan/testdata/notes": {Data: []byte("pkg/gone")},
			"pkg/domain/dossier/dossier.go":  {Data: []byte("package dossier\n")},
			"pkg/aws/s3/s3.go":               {Data: []byte("package s3\n")},
		}
		if _, ok := files["README.md"]; !ok {
			m["README.md"] = &fstest.MapFile{Data: []byte("# Sohoa\n")}
		}
		for name, data := range files {
			m[name] = &fstest.MapFile{Data: []byte(data)}
		}
		return m
	}
	tests := []struct {
		name  string
		files map[string]string
		want  []string
	}{
		{"all resolve", map[string]string{
			"README.md": "See [the vault](docs/vault.md#promises), `pkg/format/scan/limits.go`, ./infra/servers/up.sh,\n" +
				"functions/<name>/main.go, pkg/domain/*, pkg/format/scan/..., pkg/aws/…, events/s3-*.json and events/s3-put.json.\n" +
				"Run `go run ./testdata/gen`; https://example.com/pkg/nothing/here is not ours; [home](https://x.org/a.md).\n",
			"pkg/format/scan/split.go": "package scan\n\n// Fixtures are in testdata/a.pdf; see pkg/domain/dossier.Service and README.md.\n" +
				"var s = \"pkg/not/a/comment\"\n",
		}, nil},
		{"dangling path in a Go comment", map[string]string{
			"pkg/format/scan/split.go": "package scan\n\n// The limits come from pkg/format/scan/old.go.\nfunc f() {}\n",
		}, []string{"pkg/format/scan/split.go names pkg/format/scan/old.go, which does not exist"}},
		{"renamed package", map[string]string{
			"infra/servers/README.md": "The adapters (`pkg/kms`, `pkg/dynamo`) are tested here.\n",
		}, []string{
			"infra/servers/README.md names pkg/kms, which does not exist",
			"infra/servers/README.md names pkg/dynamo, which does not exist",
		}},
		{"Go file named without a folder", map[string]string{
			"docs/layout.md":            "`pkg/format/scan`: `limits.go`, `split.go`, `views.go`.\n",
			"pkg/format/scan/split.go":  "package scan\n\n// Split reads (see limits.go and handlers.go; tests in *_test.go).\nfunc Split() {}\n",
			"pkg/format/scan/thumbs.go": "package scan\n\nvar name = \"old.go\"\n",
		}, []string{
			"docs/layout.md names views.go, which does not exist",
			"pkg/format/scan/split.go names handlers.go, which does not exist",
		}},
		{"file named without a folder", map[string]string{
			"pkg/domain/dossier/status.go": "package dossier\n\n// Status is as API.md shows it.\ntype Status string\n",
		}, []string{"pkg/domain/dossier/status.go names API.md, which does not exist"}},
		{"relative Markdown link", map[string]string{
			"docs/scans.md": "See [the vault](vault.md), [the code](../pkg/format/scan/limits.go) and [notes](notes/pdf-spike.md).\n",
		}, []string{"docs/scans.md names notes/pdf-spike.md, which does not exist"}},
		{"link out of the repository", map[string]string{
			"docs/api.md": "The contract: [API](../../elsewhere/API.md).\n",
		}, []string{"docs/api.md names ../../elsewhere/API.md, which does not exist"}},
		{"Makefile, template and Dockerfile", map[string]string{
			"Makefile":             "test:\n\tgo test ./pkg/format/scan/... ./pkg/format/gone/\n",
			"infra/template.yaml":  "# Roles of docs/roles.md; code in functions/api\n",
			"infra/ocr/Dockerfile": "# The program in infra/ocr, the handler in pkg/aws/ocr.\n",
		}, []string{
			"Makefile names pkg/format/gone, which does not exist",
			"infra/ocr/Dockerfile names pkg/aws/ocr, which does not exist",
			"infra/template.yaml names docs/roles.md, which does not exist",
		}},
		{"README too long", map[string]string{
			"README.md": lines(readmeMaxLines + 1),
		}, []string{"README.md has 201 lines, more than 200: move the detail under docs/"}},
		{"README at the limit", map[string]string{
			"README.md": lines(readmeMaxLines),
		}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := docProblems(tree(tt.files))
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got\n\t%s\nwant\n\t%s", strings.Join(got, "\n\t"), strings.Join(tt.want, "\n\t"))
			}
		})
	}
}
