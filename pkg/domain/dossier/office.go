package dossier

import (
	"context"
	"sync"
	"time"

	"github.com/sohoa/sohoa/pkg/domain/identity"
	"github.com/sohoa/sohoa/pkg/errs"
)

// MaxOfficeDay is the most dossiers OfficeDay lists (a busy post office
// receives a few hundred a day).
const MaxOfficeDay = 500

// officeDayReaders bounds the concurrent reads of OfficeDay.
const officeDayReaders = 8

// OfficeDay returns the dossiers the clerk's post office received on the
// local (Vietnam) day of day (the zero time: today by the service's clock),
// newest first, as they are now. Only a postal
// clerk of a post office may ask; they see no other office's list.
func (s *Service) OfficeDay(ctx context.Context, a identity.Actor, day time.Time) ([]*Dossier, error) {
	if a.Role != identity.Clerk || a.PostOffice == "" {
		return nil, errs.E(errs.Forbidden, "the day's list of a post office is for its postal clerks")
	}
	if day.IsZero() {
		day = s.c.Now()
	}
	ids, err := s.st.officeDay(ctx, a.PostOffice, day, MaxOfficeDay)
	if err != nil {
		return nil, err
	}
	out := make([]*Dossier, len(ids))
	errsOf := make([]error, len(ids))
	sem := make(chan struct{}, officeDayReaders)
	var wg sync.WaitGroup
	for i, id := range ids {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			out[i], errsOf[i] = s.Get(ctx, a, id)
		})
	}
	wg.Wait()
	list := make([]*Dossier, 0, len(ids))
	for i, d := range out {
		switch {
		case errsOf[i] == nil:
			list = append(list, d)
		case errs.Is(errsOf[i], errs.NotFound):
			// Not visible to this clerk any more (or gone): not listed.
		default:
			return nil, errsOf[i]
		}
	}
	return list, nil
}
