package web

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
)

//go:embed static
var staticFS embed.FS

// asset is one embedded file served under a name with its content hash, so
// that it can be cached forever: a new version has a new URL.
type asset struct {
	name, url, ctype string
	body             []byte
}

type assets struct {
	byName map[string]*asset // logical name → asset
	byFile map[string]*asset // fingerprinted file name → asset
}

func loadAssets() (*assets, error) {
	as := &assets{byName: map[string]*asset{}, byFile: map[string]*asset{}}
	err := fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := staticFS.ReadFile(p)
		if err != nil {
			return err
		}
		name := path.Base(p)
		sum := sha256.Sum256(b)
		ext := path.Ext(name)
		file := strings.TrimSuffix(name, ext) + "." + hex.EncodeToString(sum[:5]) + ext
		ct := mime.TypeByExtension(ext)
		if ct == "" {
			ct = "application/octet-stream"
		}
		a := &asset{name: name, url: "/static/" + file, ctype: ct, body: b}
		as.byName[name], as.byFile[file] = a, a
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("web: embedded assets: %w", err)
	}
	return as, nil
}

// url returns the fingerprinted URL of the named asset.
func (as *assets) url(name string) (string, error) {
	a, ok := as.byName[name]
	if !ok {
		return "", fmt.Errorf("web: no asset %q", name)
	}
	return a.url, nil
}

func (h *Handler) static(w http.ResponseWriter, r *http.Request) {
	a, ok := h.assets.byFile[r.PathValue("file")]
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", a.ctype)
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	_, _ = w.Write(a.body)
}
