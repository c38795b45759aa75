package procedure

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"slices"
	"sync"

	"github.com/sohoa/sohoa/pkg/errs"
)

// MaxCatalogSize is the largest catalog Load reads, in bytes.
const MaxCatalogSize = 4 << 20

// MaxProcedures is the largest number of procedures a catalog may hold.
const MaxProcedures = 10000

var (
	// procedureCode: N.NNNNNN as published by the National Public Service Portal.
	procedureCode = regexp.MustCompile(`^[0-9]\.[0-9]{6}$`)
	agencyID      = regexp.MustCompile(AgencyIDPattern)
	componentCode = regexp.MustCompile(`^[A-Z0-9]{2,12}$`)
)

// AgencyIDPattern is the shape of an agency's electronic ID under QCVN
// 102:2016/BTTTT (the national technical regulation on the structure of
// electronic identifiers of agencies), written from level 4 down to level 1:
// three numeric groups (levels 4, 3 and 2: 000, 00, 00 where a level is
// unused) and the level-1 code, a letter and two digits (G01–G99 for the
// ministries and central bodies, H01–H99 for the provinces), e.g.
// "000.00.01.H29" or "000.00.00.G13". The one rule for every package.
const AgencyIDPattern = `^[0-9]{3}\.[0-9]{2}\.[0-9]{2}\.[A-Z][0-9]{2}$`

// ValidAgencyID reports whether s has the shape of a QCVN 102:2016 agency ID.
func ValidAgencyID(s string) bool { return agencyID.MatchString(s) }

//go:embed catalog.json
var embedded []byte

// Catalog is a validated, read-only set of procedures. Safe for concurrent use.
type Catalog struct {
	procs      []Procedure
	byCode     map[string]int
	components map[string]Component
	looks      map[string]Look
}

var defaultCatalog = sync.OnceValues(func() (*Catalog, error) {
	return Load(bytes.NewReader(embedded))
})

// Default returns the catalog embedded in the binary. The embedded data is
// checked by the package's tests, so Default never fails at run time; if it
// ever were invalid, Default returns an empty catalog (every Get is NotFound)
// and DefaultErr says why.
func Default() *Catalog {
	c, err := defaultCatalog()
	if err != nil {
		return &Catalog{byCode: map[string]int{}, components: map[string]Component{}, looks: map[string]Look{}}
	}
	return c
}

// DefaultErr reports whether the embedded catalog failed validation.
func DefaultErr() error {
	_, err := defaultCatalog()
	return err
}

type file struct {
	Procedures []Procedure `json:"procedures"`
	// Looks describe the paper of each component code (optional: a catalog
	// without them splits on separator sheets only).
	Looks []Look `json:"looks,omitempty"`
}

// Load reads a catalog in the JSON form of catalog.json
// ({"procedures":[...]}) and validates it: unique N.NNNNNN procedure codes,
// QCVN 102 agency IDs, positive processing times, at least one required
// component, unique component codes within a procedure, one name per
// component code across procedures, a result with a kind and a validity; and
// for the looks ("looks", optional): one per component code the procedures
// list, known cue kinds, each cue with a text and a source.
// Unknown fields are refused, so a typo does not silently drop data.
func Load(r io.Reader) (*Catalog, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxCatalogSize+1))
	if err != nil {
		return nil, fmt.Errorf("read catalog: %w", err)
	}
	if len(data) > MaxCatalogSize {
		return nil, errs.E(errs.TooLarge, "catalog is larger than %d bytes", MaxCatalogSize)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var f file
	if err := dec.Decode(&f); err != nil {
		return nil, errs.Wrap(errs.Invalid, err, "catalog is not valid JSON")
	}
	if dec.More() {
		return nil, errs.E(errs.Invalid, "catalog has data after its JSON object")
	}
	return build(f.Procedures, f.Looks)
}

func build(procs []Procedure, looks []Look) (*Catalog, error) {
	if len(procs) == 0 {
		return nil, errs.E(errs.Invalid, "catalog has no procedures")
	}
	if len(procs) > MaxProcedures {
		return nil, errs.E(errs.Invalid, "catalog has %d procedures, more than %d", len(procs), MaxProcedures)
	}
	c := &Catalog{byCode: map[string]int{}, components: map[string]Component{}, looks: map[string]Look{}}
	for i, l := range looks {
		if err := validateLook(l); err != nil {
			return nil, fmt.Errorf("look %d: %w", i, err)
		}
		if _, dup := c.looks[l.Code]; dup {
			return nil, errs.E(errs.Invalid, "look of component %s appears twice", l.Code)
		}
		c.looks[l.Code] = l.clone()
	}
	for i, p := range procs {
		if err := validate(p); err != nil {
			return nil, fmt.Errorf("procedure %d (%q): %w", i, p.Code, err)
		}
		if _, dup := c.byCode[p.Code]; dup {
			return nil, errs.E(errs.Invalid, "procedure code %s appears twice", p.Code)
		}
		for _, comp := range p.Components {
			if prev, ok := c.components[comp.Code]; ok {
				if prev.Name != comp.Name {
					return nil, errs.E(errs.Invalid, "component %s is named %q in one procedure and %q in %s", comp.Code, prev.Name, comp.Name, p.Code)
				}
				continue
			}
			c.components[comp.Code] = comp
		}
		p = p.clone()
		for j := range p.Components {
			p.Components[j].Look = c.looks[p.Components[j].Code].clone()
		}
		c.byCode[p.Code] = len(c.procs)
		c.procs = append(c.procs, p)
	}
	for code, l := range c.looks {
		comp, ok := c.components[code]
		if !ok {
			return nil, errs.E(errs.Invalid, "look of component %s, which no procedure lists", code)
		}
		comp.Look = l.clone()
		c.components[code] = comp
	}
	return c, nil
}

func validate(p Procedure) error {
	switch {
	case !procedureCode.MatchString(p.Code):
		return errs.E(errs.Invalid, "procedure code %q is not of the form N.NNNNNN", p.Code)
	case p.Name == "":
		return errs.E(errs.Invalid, "procedure has no name")
	case !agencyID.MatchString(p.Agency):
		return errs.E(errs.Invalid, "agency %q is not a QCVN 102:2016 agency ID like 000.00.01.H29", p.Agency)
	case p.ProcessingDays < 1 || p.ProcessingDays > 365:
		return errs.E(errs.Invalid, "processing time %d working days is not between 1 and 365", p.ProcessingDays)
	case len(p.Components) == 0:
		return errs.E(errs.Invalid, "procedure has no components")
	case p.MonochromeScan != "" && p.MonochromeScan != "warning" && p.MonochromeScan != "error" && p.MonochromeScan != "none":
		return errs.E(errs.Invalid, "monochromeScan %q is not warning, error or none", p.MonochromeScan)
	case !componentCode.MatchString(p.Result.Kind):
		return errs.E(errs.Invalid, "result kind %q is not 2-12 of A-Z, 0-9", p.Result.Kind)
	case p.Result.Name == "":
		return errs.E(errs.Invalid, "result has no name")
	case p.Result.Permanent == (p.Result.ValidityMonths > 0):
		return errs.E(errs.Invalid, "result must be either permanent or valid for a positive number of months")
	case p.Result.ValidityMonths < 0 || p.Result.ValidityMonths > 1200:
		return errs.E(errs.Invalid, "result validity %d months is out of range", p.Result.ValidityMonths)
	}
	seen := map[string]bool{}
	required := false
	for _, comp := range p.Components {
		if !componentCode.MatchString(comp.Code) {
			return errs.E(errs.Invalid, "component code %q is not 2-12 of A-Z, 0-9", comp.Code)
		}
		if comp.Name == "" {
			return errs.E(errs.Invalid, "component %s has no name", comp.Code)
		}
		if seen[comp.Code] {
			return errs.E(errs.Invalid, "component %s appears twice", comp.Code)
		}
		seen[comp.Code] = true
		required = required || comp.Required
	}
	if !required {
		return errs.E(errs.Invalid, "procedure has no required component")
	}
	return nil
}

// Get returns the procedure with the national code, or an errs.NotFound error.
func (c *Catalog) Get(code string) (Procedure, error) {
	i, ok := c.byCode[code]
	if !ok {
		return Procedure{}, errs.E(errs.NotFound, "không có thủ tục mã %q trong danh mục / no procedure %q in the catalog", code, code)
	}
	return c.procs[i].clone(), nil
}

// All returns every procedure in catalog order.
func (c *Catalog) All() []Procedure {
	out := make([]Procedure, len(c.procs))
	for i, p := range c.procs {
		out[i] = p.clone()
	}
	return out
}

// Component returns a component by its code, from whichever procedure lists
// it first (names are the same in all; Required, Reusable and Note are those
// of that first procedure: use Procedure.Component for a procedure's own).
// For separator sheets.
func (c *Catalog) Component(code string) (Component, bool) {
	comp, ok := c.components[code]
	comp.Look = comp.Look.clone()
	return comp, ok
}

// Look returns how the paper of a component code looks, and false when the
// catalog does not describe it.
func (c *Catalog) Look(code string) (Look, bool) {
	l, ok := c.looks[code]
	return l.clone(), ok
}

// ProcessingDays returns the processing time in working days of the
// procedure with the national code (for the statistics' on-time rule).
func (c *Catalog) ProcessingDays(code string) (int, bool) {
	i, ok := c.byCode[code]
	if !ok {
		return 0, false
	}
	return c.procs[i].ProcessingDays, true
}

// Agencies returns the electronic IDs of the agencies the catalog's
// procedures belong to, sorted.
func (c *Catalog) Agencies() []string {
	seen := map[string]bool{}
	var out []string
	for _, p := range c.procs {
		if !seen[p.Agency] {
			seen[p.Agency] = true
			out = append(out, p.Agency)
		}
	}
	slices.Sort(out)
	return out
}
