package main

import (
	"context"

	"github.com/sohoa/sohoa/pkg/dossier"
	"github.com/sohoa/sohoa/pkg/procedure"
	"github.com/sohoa/sohoa/pkg/receipt"
	"github.com/sohoa/sohoa/pkg/separator"
)

// documents renders separator sheets and receipts.
type documents struct{}

func (documents) Separator(code, name string) ([]byte, error) { return separator.Sheet(code, name) }

func (documents) Receipt(_ context.Context, d *dossier.Dossier, p procedure.Procedure) ([]byte, error) {
	return receipt.Render(d, p, receipt.Options{})
}
