// Package logctx ties log lines to what they are about: the request (an
// HTTP request, a queue message) and the dossier, carried by the context
// from where the work starts and added to every line logged with that
// context by the Handler. It is a leaf: it imports nothing of Sohoa's, so
// every layer may set and read them.
package logctx

import (
	"context"
	"log/slog"
	"sync"
)

// The attribute keys the Handler adds; log queries and alarms filter on them.
const (
	DossierKey = "dossierId"
	RequestKey = "requestId"
)

type ctxKey struct{}

// entry is what a context carries. Its dossier may be learned after the
// request started (a handler reads it from the path or the message body):
// setting it then also tags the request's own closing line.
type entry struct {
	request string

	mu      sync.Mutex
	dossier string
}

func (e *entry) getDossier() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.dossier
}

func from(ctx context.Context) *entry {
	if ctx == nil {
		return nil
	}
	e, _ := ctx.Value(ctxKey{}).(*entry)
	return e
}

// WithRequest starts a unit of work (an HTTP request, one delivery of a
// queue message) named id.
func WithRequest(ctx context.Context, id string) context.Context {
	e := &entry{request: id}
	if p := from(ctx); p != nil {
		e.dossier = p.getDossier()
	}
	return context.WithValue(ctx, ctxKey{}, e)
}

// WithDossier says the work of ctx is about dossier id. If the request
// had no dossier yet, it is the request's from now on too, so that the
// line which closes the request carries it.
func WithDossier(ctx context.Context, id string) context.Context {
	if id == "" {
		return ctx
	}
	e := &entry{dossier: id}
	if p := from(ctx); p != nil {
		e.request = p.request
		p.mu.Lock()
		if p.dossier == "" {
			p.dossier = id
		}
		p.mu.Unlock()
	}
	return context.WithValue(ctx, ctxKey{}, e)
}

// Dossier is the dossier the work of ctx is about ("" if none).
func Dossier(ctx context.Context) string {
	if e := from(ctx); e != nil {
		return e.getDossier()
	}
	return ""
}

// Request is the ID of the request or delivery of ctx ("" if none).
func Request(ctx context.Context) string {
	if e := from(ctx); e != nil {
		return e.request
	}
	return ""
}

// Handler adds the dossier and request IDs of a record's context to it.
type Handler struct{ next slog.Handler }

// NewHandler wraps next.
func NewHandler(next slog.Handler) *Handler { return &Handler{next: next} }

// Enabled implements slog.Handler.
func (h *Handler) Enabled(ctx context.Context, l slog.Level) bool { return h.next.Enabled(ctx, l) }

// Handle implements slog.Handler.
func (h *Handler) Handle(ctx context.Context, r slog.Record) error {
	if e := from(ctx); e != nil {
		if d := e.getDossier(); d != "" {
			r.AddAttrs(slog.String(DossierKey, d))
		}
		if e.request != "" {
			r.AddAttrs(slog.String(RequestKey, e.request))
		}
	}
	return h.next.Handle(ctx, r)
}

// WithAttrs implements slog.Handler.
func (h *Handler) WithAttrs(as []slog.Attr) slog.Handler { return &Handler{next: h.next.WithAttrs(as)} }

// WithGroup implements slog.Handler.
func (h *Handler) WithGroup(name string) slog.Handler { return &Handler{next: h.next.WithGroup(name)} }
