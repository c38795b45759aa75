package pki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"time"
)

// state is what LoadOrCreate remembers between starts besides keys and certificates.
type state struct {
	BaseURL string `json:"baseURL"`
}

var safeID = regexp.MustCompile(`^[A-Za-z0-9._@-]{1,64}$`)

// LoadOrCreate loads the PKI stored in dir, creating the directory and any
// missing key or certificate. The root is created once and kept; when the base
// URL changed since the last start, the intermediate and every leaf are
// re-issued (same keys) so that their URLs point at the new address; officers
// missing from dir are issued.
func LoadOrCreate(dir string, opts Options) (*PKI, error) {
	base, err := parseBase(opts.BaseURL)
	if err != nil {
		return nil, err
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Organization == "" {
		opts.Organization = "Sohoa Dev"
	}
	if opts.Agency == "" {
		opts.Agency = "Ủy ban nhân dân (phát triển)"
	}
	seen := map[string]bool{}
	for _, o := range opts.Officers {
		if !safeID.MatchString(o.ID) || o.ID == "seal" || o.ID == "tsa" || o.ID == "root" || o.ID == "intermediate" {
			return nil, fmt.Errorf("pki: officer ID %q must be 1-64 of [A-Za-z0-9._@-] and not a reserved name", o.ID)
		}
		if o.Name == "" || seen[o.ID] {
			return nil, fmt.Errorf("pki: officer %q needs a name and must be listed once", o.ID)
		}
		seen[o.ID] = true
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("pki: create %s: %w", dir, err)
	}

	var st state
	if b, err := os.ReadFile(filepath.Join(dir, "state.json")); err == nil {
		if err := json.Unmarshal(b, &st); err != nil {
			return nil, fmt.Errorf("pki: read state: %w", err)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("pki: read state: %w", err)
	}
	reissue := st.BaseURL != base.String()

	p := &PKI{base: base, now: opts.Now, dir: dir, officer: map[string]*Credential{}, revoked: map[string]revocation{}}
	is := issuer{p: p, org: opts.Organization}

	// Root: created once, never re-issued (NSS stores and verifiers trust it).
	rootKey, rootCert, err := loadPair(dir, "root")
	if err != nil {
		return nil, err
	}
	if rootKey == nil || rootCert == nil {
		rootKey, err = newKey()
		if err != nil {
			return nil, err
		}
		rootCert, err = is.root(rootKey)
		if err != nil {
			return nil, err
		}
		if err := savePair(dir, "root", rootKey, rootCert); err != nil {
			return nil, err
		}
		reissue = true
	}
	p.root = &Credential{ID: "root", Name: rootCert.Subject.CommonName, Signer: rootKey, Chain: []*x509.Certificate{rootCert}}

	interKey, interCert, err := loadPair(dir, "intermediate")
	if err != nil {
		return nil, err
	}
	if interKey == nil || interCert == nil || reissue || interCert.CheckSignatureFrom(rootCert) != nil {
		if interKey == nil {
			if interKey, err = newKey(); err != nil {
				return nil, err
			}
		}
		if interCert, err = is.intermediate(interKey); err != nil {
			return nil, err
		}
		if err := savePair(dir, "intermediate", interKey, interCert); err != nil {
			return nil, err
		}
		reissue = true
	}
	p.inter = &Credential{ID: "intermediate", Name: interCert.Subject.CommonName, Signer: interKey, Chain: []*x509.Certificate{interCert, rootCert}}

	leaf := func(id, name, email string, kind leafKind) (*Credential, error) {
		file := "officer-" + id
		if kind != officerLeaf {
			file = id
		}
		key, cert, err := loadPair(dir, file)
		if err != nil {
			return nil, err
		}
		if key == nil || cert == nil || reissue || cert.Subject.CommonName != name || cert.CheckSignatureFrom(interCert) != nil {
			if key == nil {
				if key, err = newKey(); err != nil {
					return nil, err
				}
			}
			if cert, err = is.leaf(key, name, email, kind); err != nil {
				return nil, err
			}
			if err := savePair(dir, file, key, cert); err != nil {
				return nil, err
			}
		}
		return &Credential{ID: id, Name: name, Signer: key, Chain: []*x509.Certificate{cert, interCert, rootCert}}, nil
	}
	for _, o := range opts.Officers {
		c, err := leaf(o.ID, o.Name, o.Email, officerLeaf)
		if err != nil {
			return nil, err
		}
		p.officer[o.ID] = c
		p.order = append(p.order, o.ID)
	}
	if p.seal, err = leaf("seal", opts.Agency, "", sealLeaf); err != nil {
		return nil, err
	}
	if p.tsa, err = leaf("tsa", opts.Organization+" TSA", "", tsaLeaf); err != nil {
		return nil, err
	}

	// Delegated OCSP responders: ephemeral, re-created on every start.
	p.responders = map[string]*Credential{}
	for _, ca := range []*Credential{p.root, p.inter} {
		k, err := newKey()
		if err != nil {
			return nil, err
		}
		c, err := is.responder(ca, k)
		if err != nil {
			return nil, err
		}
		p.responders[string(ca.Chain[0].RawSubject)] = &Credential{ID: "ocsp", Name: c.Subject.CommonName, Signer: k, Chain: append([]*x509.Certificate{c}, ca.Chain...)}
	}
	if err := p.loadRevoked(); err != nil {
		return nil, err
	}
	st.BaseURL = base.String()
	b, _ := json.MarshalIndent(st, "", "  ")
	if err := os.WriteFile(filepath.Join(dir, "state.json"), b, 0o600); err != nil {
		return nil, fmt.Errorf("pki: write state: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "root.crt"), p.RootPEM(), 0o644); err != nil {
		return nil, fmt.Errorf("pki: write root: %w", err)
	}
	return p, nil
}

func newKey() (*ecdsa.PrivateKey, error) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("pki: generate key: %w", err)
	}
	return k, nil
}

// loadPair reads name.key and name.pem from dir; a missing file gives nils.
func loadPair(dir, name string) (*ecdsa.PrivateKey, *x509.Certificate, error) {
	kb, err := os.ReadFile(filepath.Join(dir, name+".key"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("pki: read %s key: %w", name, err)
	}
	blk, _ := pem.Decode(kb)
	if blk == nil {
		return nil, nil, fmt.Errorf("pki: %s.key is not PEM", name)
	}
	anyKey, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		return nil, nil, fmt.Errorf("pki: parse %s key: %w", name, err)
	}
	key, ok := anyKey.(*ecdsa.PrivateKey)
	if !ok {
		return nil, nil, fmt.Errorf("pki: %s.key is not an ECDSA key", name)
	}
	cb, err := os.ReadFile(filepath.Join(dir, name+".pem"))
	if errors.Is(err, fs.ErrNotExist) {
		return key, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("pki: read %s certificate: %w", name, err)
	}
	blk, _ = pem.Decode(cb)
	if blk == nil {
		return nil, nil, fmt.Errorf("pki: %s.pem is not PEM", name)
	}
	cert, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		return nil, nil, fmt.Errorf("pki: parse %s certificate: %w", name, err)
	}
	if !key.PublicKey.Equal(cert.PublicKey) {
		return key, nil, nil // the certificate does not match the key: re-issue it
	}
	return key, cert, nil
}

func savePair(dir, name string, key crypto.Signer, cert *x509.Certificate) error {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return fmt.Errorf("pki: encode %s key: %w", name, err)
	}
	if err := writeAtomic(filepath.Join(dir, name+".key"), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		return err
	}
	return writeAtomic(filepath.Join(dir, name+".pem"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}), 0o644)
}

func writeAtomic(path string, b []byte, mode os.FileMode) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, mode); err != nil {
		return fmt.Errorf("pki: write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("pki: write %s: %w", path, err)
	}
	return nil
}

func (p *PKI) loadRevoked() error {
	b, err := os.ReadFile(filepath.Join(p.dir, "revoked.json"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("pki: read revocations: %w", err)
	}
	if err := json.Unmarshal(b, &p.revoked); err != nil {
		return fmt.Errorf("pki: read revocations: %w", err)
	}
	return nil
}

// saveRevoked must be called with p.mu held.
func (p *PKI) saveRevoked() error {
	b, err := json.MarshalIndent(p.revoked, "", "  ")
	if err != nil {
		return fmt.Errorf("pki: encode revocations: %w", err)
	}
	return writeAtomic(filepath.Join(p.dir, "revoked.json"), b, 0o600)
}
