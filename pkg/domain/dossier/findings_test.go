package dossier

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"

	"github.com/sohoa/sohoa/pkg/format/scan"
)

// englishWords are words that do not occur in Vietnamese text: one in a
// Vietnamese message means an English sentence slipped in.
var englishWords = regexp.MustCompile(`(?i)\b(the|is|are|was|were|and|of|to|not|cannot|could|please|missing|upload|page|file|scan|vault)\b`)

// vietnamese reports whether s has a letter only Vietnamese writes.
func vietnamese(s string) bool {
	for _, r := range s {
		if r > unicode.MaxASCII && unicode.IsLetter(r) && !strings.ContainsRune("«»–", r) {
			return true
		}
	}
	return false
}

// sampleArgs are arguments of the kinds each finding is made with.
var sampleArgs = map[string][]any{
	scan.CodeTooLarge:       {"300 MB"},
	scan.CodePageTooSmall:   {2},
	FindingLowResolution:    {2, 150.0, 200},
	FindingBlankScan:        {4},
	FindingUnknownSeparator: {3, "GPLX", "1.001193"},
	FindingDuplicate:        {"To khai", 5},
	FindingComponentBlank:   {"To khai", "4, 5"},
	FindingComponentEmpty:   {"To khai", 5},
	FindingMissing:          {"Ban sao CCCD", "CCCD"},
	FindingReusePending:     {"Ban sao CCCD", "CCCD"},
	FindingLeadingPages:     {2},
	FindingBornDigital:      {"1, 2"},
	FindingNotColour:        {"1, 2", Bi{"đen trắng", "black and white"}},
	FindingBlankPages:       {2, "To khai", "2, 4"},
	FindingMarkPlacement:    {"To khai", Bi{"được thu nhỏ", "was made compact"}},
	FindingOCRPageFailed:    {3},
	FindingMRZCheckFailed:   {"expiry"},
	FindingIDMismatch:       {"001*****2345", "001*****9999"},
	FindingNameMismatch:     {"NGUYEN VAN AN", "Nguyen Van Anh"},
	FindingCardExpired:      {"17/05/2025"},
	FindingIDBirthMismatch:  {1999, Bi{"nam", "male"}, 2003, Bi{"nữ", "female"}},
}

// TestCatalogue holds every finding to the rules people rely on: both
// languages, each in its own language, an audience, and for every task what
// to do; a note is never an error.
func TestCatalogue(t *testing.T) {
	for code, e := range catalogue {
		t.Run(code, func(t *testing.T) {
			if e.Audience != AudienceClerk && e.Audience != AudienceCitizen && e.Audience != AudienceOfficer {
				t.Errorf("audience %q", e.Audience)
			}
			if e.Audience == AudienceOfficer && e.Severity == SeverityError {
				t.Error("an officer's note is an error: it would hold the dossier back")
			}
			if e.Audience != AudienceOfficer && (e.DoVI == "" || e.DoEN == "") {
				t.Error("a task without what to do")
			}
			for _, vi := range []string{e.VI, e.DoVI} {
				if m := englishWords.FindString(vi); m != "" {
					t.Errorf("English %q in the Vietnamese %q", m, vi)
				}
			}
			for _, en := range []string{e.EN, e.DoEN} {
				if vietnamese(en) {
					t.Errorf("Vietnamese in the English %q", en)
				}
			}
			f := NewFinding(code, sampleArgs[code]...)
			for _, s := range []string{f.Message, f.MessageEN, f.Action, f.ActionEN} {
				if strings.Contains(s, "%!") {
					t.Errorf("arguments do not fit: %q", s)
				}
			}
			if f.Text("vi") == f.Text("en") {
				t.Errorf("the same text in both languages: %q", f.Message)
			}
		})
	}
	for code := range sampleArgs {
		if _, ok := catalogue[code]; !ok {
			t.Errorf("sample arguments for %s, which the catalogue lacks", code)
		}
	}
}

// TestFindingsComeFromTheCatalogue fails on a finding written inline: a
// Finding literal with fields anywhere but the catalogue, in this package
// and in the text reader that makes findings too.
func TestFindingsComeFromTheCatalogue(t *testing.T) {
	for _, dir := range []string{".", "../extract"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
		for _, name := range files {
			if strings.HasSuffix(name, "_test.go") || filepath.Base(name) == "findings.go" {
				continue
			}
			src, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			fset := token.NewFileSet()
			file, err := parser.ParseFile(fset, name, src, 0)
			if err != nil {
				t.Fatal(err)
			}
			ast.Inspect(file, func(n ast.Node) bool {
				lit, ok := n.(*ast.CompositeLit)
				if !ok || len(lit.Elts) == 0 {
					return true
				}
				typ := lit.Type
				if sel, ok := typ.(*ast.SelectorExpr); ok {
					typ = sel.Sel
				}
				if id, ok := typ.(*ast.Ident); ok && id.Name == "Finding" {
					t.Errorf("%s: a finding written inline; add it to the catalogue (findings.go) and use NewFinding", fset.Position(lit.Pos()))
				}
				return true
			})
		}
	}
}

// TestFindingText reads findings stored before the languages were kept
// apart, and new ones, in the language asked.
func TestFindingText(t *testing.T) {
	for _, tc := range []struct {
		f      Finding
		vi, en string
	}{
		{NewFinding(FindingNoSeparators), catalogue[FindingNoSeparators].VI, catalogue[FindingNoSeparators].EN},
		{Finding{Message: "Thiếu tờ khai / The form is missing"}, "Thiếu tờ khai", "The form is missing"},
		{Finding{Message: "Tệp quét không có trang nào."}, "Tệp quét không có trang nào.", "Tệp quét không có trang nào."},
	} {
		if got := tc.f.Text("vi"); got != tc.vi {
			t.Errorf("vi %q, want %q", got, tc.vi)
		}
		if got := tc.f.Text("en"); got != tc.en {
			t.Errorf("en %q, want %q", got, tc.en)
		}
	}
}

// TestWithSeverity: a procedure that makes a note an error gives it to the
// clerk, with what to do; a reader that makes an error a warning gives it to
// the officer.
func TestWithSeverity(t *testing.T) {
	grey := NewFinding(FindingNotColour, "2", Bi{"thang xám", "greyscale"})
	if grey.Audience != AudienceOfficer || grey.Task() || grey.Action != "" {
		t.Errorf("a warning is a task: %+v", grey)
	}
	if e := grey.WithSeverity(SeverityError); e.Audience != AudienceClerk || !e.Task() || e.Action == "" || e.ActionEN == "" {
		t.Errorf("an error is not the clerk's task: %+v", e)
	}
	id := NewFinding(FindingIDMismatch, "a", "b").WithSeverity(SeverityWarning)
	if id.Audience != AudienceOfficer || id.Task() || !strings.Contains(id.Action, "bằng mắt") {
		t.Errorf("a mismatch read without check digits: %+v", id)
	}
}
