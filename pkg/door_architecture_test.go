package architecture_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// goFiles parses the non-test Go files under the given directories of the
// repository (relative to its root).
func goFiles(t *testing.T, dirs ...string) map[string]*ast.File {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*ast.File{}
	fset := token.NewFileSet()
	for _, d := range dirs {
		err := filepath.WalkDir(filepath.Join(root, d), func(path string, e fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if e.IsDir() && (e.Name() == "testdata" || strings.HasPrefix(e.Name(), ".")) {
				return filepath.SkipDir
			}
			if e.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return nil
			}
			f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(root, path)
			out[rel] = f
			return nil
		})
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
	}
	if len(out) == 0 {
		t.Fatalf("no Go files under %v", dirs)
	}
	return out
}

// TestEveryResponseWriterWrapperUnwraps: a type that wraps an
// http.ResponseWriter (a status recorder, a logger) must have Unwrap, or
// http.ResponseController cannot reach the connection through it and every
// request behind it silently loses its header and body deadlines.
func TestEveryResponseWriterWrapperUnwraps(t *testing.T) {
	files := goFiles(t, "pkg", "infra", "functions")
	wrappers := map[string]string{} // package dir + type → file
	unwraps := map[string]bool{}
	for rel, f := range files {
		dir := filepath.Dir(rel)
		for _, decl := range f.Decls {
			switch d := decl.(type) {
			case *ast.GenDecl:
				for _, spec := range d.Specs {
					ts, ok := spec.(*ast.TypeSpec)
					if !ok {
						continue
					}
					st, ok := ts.Type.(*ast.StructType)
					if !ok {
						continue
					}
					for _, field := range st.Fields.List {
						if types.ExprString(field.Type) == "http.ResponseWriter" {
							wrappers[dir+"."+ts.Name.Name] = rel
						}
					}
				}
			case *ast.FuncDecl:
				if d.Recv == nil || d.Name.Name != "Unwrap" || len(d.Recv.List) == 0 {
					continue
				}
				recv := strings.TrimPrefix(types.ExprString(d.Recv.List[0].Type), "*")
				unwraps[dir+"."+recv] = true
			}
		}
	}
	if len(wrappers) == 0 {
		t.Fatal("found no ResponseWriter wrapper at all: the scan is broken (the local stack's request logger wraps one)")
	}
	for typ, file := range wrappers {
		if !unwraps[typ] {
			t.Errorf("%s (%s) wraps an http.ResponseWriter without an Unwrap method: request deadlines cannot be set through it", typ, file)
		}
	}
}

// The entry points through which a handler may take a request body.
var (
	// pdfDoors read a PDF in the isolated child, under the admission's
	// limits: Config.PutResult (an uploaded result: the door's CheckResult)
	// and Admission.Verify (a PDF to verify).
	pdfDoors = []string{".PutResult", "Admission.Verify"}
	// otherReaders take bodies that are not PDFs read by this process: a
	// scan goes to the scan reader's own isolated child (UploadScan), JSON
	// to the bounded decoder.
	otherReaders = []string{".UploadScan", "decodeJSON"}
	// helpers read a multipart file for their callers, which are checked.
	helpers = map[string]bool{"formFile": true, "openFormFile": true, "decodeJSON": true}
)

// TestEveryPDFGoesThroughTheDoor: every handler of the API and the pages that
// takes a request body (r.Body, a multipart file) hands it to one of the
// doors, whichever page or route it comes through. A PDF stored as it came
// would be parsed later, in the server, at signing.
func TestEveryPDFGoesThroughTheDoor(t *testing.T) {
	files := goFiles(t, "pkg/api", "pkg/web")
	checked := 0
	for rel, f := range files {
		for _, decl := range f.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok || fn.Body == nil || helpers[fn.Name.Name] {
				continue
			}
			var takesBody bool
			var calls []string
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				switch x := n.(type) {
				case *ast.SelectorExpr:
					if x.Sel.Name == "Body" {
						if id, ok := x.X.(*ast.Ident); ok && id.Name == "r" {
							takesBody = true
						}
					}
				case *ast.CallExpr:
					name := types.ExprString(x.Fun)
					calls = append(calls, name)
					for _, reader := range []string{"openFormFile", "formFile", "FormFile", "MultipartReader", "ParseMultipartForm"} {
						if name == reader || strings.HasSuffix(name, "."+reader) {
							takesBody = true
						}
					}
				}
				return true
			})
			if !takesBody {
				continue
			}
			checked++
			door := ""
			for _, c := range calls {
				for _, d := range append(append([]string{}, pdfDoors...), otherReaders...) {
					// Dossiers.PutResult is the store, not the door.
					if strings.HasSuffix(c, d) && !strings.HasSuffix(c, "Dossiers.PutResult") {
						door = c
					}
				}
			}
			if door == "" {
				t.Errorf("%s: %s takes a request body but calls no door (%v, or %v for what is not a PDF): calls %v",
					rel, fn.Name.Name, pdfDoors, otherReaders, calls)
			}
		}
	}
	if checked < 5 {
		t.Fatalf("only %d handlers take a body: the scan is broken (the API's result, scan and verify routes, the pages' uploads)", checked)
	}
}
