package scantest

import "strings"

// NestedArrays returns a one-page PDF whose catalog holds an array nested n
// deep (733 bytes for n = 200): a parser that recurses without a depth limit
// runs out of stack on it.
func NestedArrays(n int) []byte {
	return Nested(strings.Repeat("[", n) + strings.Repeat("]", n))
}

// NestedDicts is NestedArrays with dictionaries (<< /A << /A … >> >>).
func NestedDicts(n int) []byte {
	return Nested(strings.Repeat("<< /A ", n) + strings.Repeat(">> ", n))
}

// Nested returns a one-page PDF whose catalog's /X is the object x.
func Nested(x string) []byte {
	return RawPDF("<< /Type /Catalog /Pages 2 0 R /X "+x+" >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>")
}
