package assemble

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

// TestLambdasCannotEnableDevRoutes: the development routes (tokens of any
// role, the outbox with officers' signing codes) exist only when api.Config.Dev
// is set, which only the local stack does. No code under functions/ may name
// it or the local stack, so no deployment can turn them on.
func TestLambdasCannotEnableDevRoutes(t *testing.T) {
	root := filepath.Join("..", "..")
	fset := token.NewFileSet()
	checked := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		checked++
		apiName := ""
		for _, im := range f.Imports {
			p := strings.Trim(im.Path.Value, `"`)
			if strings.Contains(p, "/infra/local") {
				t.Errorf("%s imports the local stack", path)
			}
			if p == "github.com/sohoa/sohoa/pkg/api" {
				apiName = "api"
				if im.Name != nil {
					apiName = im.Name.Name
				}
			}
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.SelectorExpr:
				if x, ok := n.X.(*ast.Ident); ok && apiName != "" && x.Name == apiName && (n.Sel.Name == "Dev" || n.Sel.Name == "OutboxMessage") {
					t.Errorf("%s: %s uses %s.%s", path, fset.Position(n.Pos()), apiName, n.Sel.Name)
				}
			case *ast.KeyValueExpr:
				if k, ok := n.Key.(*ast.Ident); ok && k.Name == "Dev" {
					t.Errorf("%s: %s sets a Dev field", path, fset.Position(n.Pos()))
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 10 {
		t.Fatalf("only %d files checked: wrong root?", checked)
	}
}
