package report

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/sohoa/sohoa/pkg/domain/calendar"
	"github.com/sohoa/sohoa/pkg/errs"
)

// WriteJSON writes stats as GET /v1/reports/sla answers: {"agencies":[...]}.
func WriteJSON(w io.Writer, stats []AgencyStats) error {
	if stats == nil {
		stats = []AgencyStats{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(struct {
		Agencies []AgencyStats `json:"agencies"`
	}{stats}); err != nil {
		return fmt.Errorf("report: write JSON: %w", err)
	}
	return nil
}

// csvHeader names the CSV columns: the JSON fields, the channels flattened.
var csvHeader = []string{
	"agency", "from", "to", "asOf",
	"received", "receivedPostal", "receivedOnline", "receivedCounter",
	"resolved", "early", "onTime", "late", "inProgress", "inTime", "overdue", "onTimeRate",
	"supplementRequests", "supplemented",
	"scannedComponents", "certifiedComponents", "digitizationRate", "vaultComponents", "reuseRate",
	"electronicResults", "electronicResultRate",
}

// WriteCSV writes stats as CSV (RFC 4180), one row per agency after a header
// row; times in RFC 3339 UTC, rates with four decimals.
func WriteCSV(w io.Writer, stats []AgencyStats) error {
	cw := csv.NewWriter(w)
	_ = cw.Write(csvHeader)
	for _, s := range stats {
		i := strconv.Itoa
		f := func(v float64) string { return strconv.FormatFloat(v, 'f', 4, 64) }
		t := func(v time.Time) string { return v.UTC().Format(time.RFC3339) }
		_ = cw.Write([]string{
			s.Agency, t(s.From), t(s.To), t(s.AsOf),
			i(s.Received), i(s.ReceivedByChannel.Postal), i(s.ReceivedByChannel.Online), i(s.ReceivedByChannel.Counter),
			i(s.Resolved), i(s.Early), i(s.OnTime), i(s.Late), i(s.InProgress), i(s.InTime), i(s.Overdue), f(s.OnTimeRate),
			i(s.SupplementRequests), i(s.Supplemented),
			i(s.ScannedComponents), i(s.CertifiedComponents), f(s.DigitizationRate), i(s.VaultComponents), f(s.ReuseRate),
			i(s.ElectronicResults), f(s.ElectronicResultRate),
		})
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("report: write CSV: %w", err)
	}
	return nil
}

// ParsePeriod reads the from and to query parameters of GET /v1/reports/sla:
// dates (YYYY-MM-DD) in Vietnam's calendar, both days included, or RFC 3339
// times (to excluded). It returns the period as [from, to).
func ParsePeriod(from, to string) (time.Time, time.Time, error) {
	f, _, err := parseBound(from)
	if err != nil {
		return time.Time{}, time.Time{}, errs.FieldError("from", "from must be a date (YYYY-MM-DD) or an RFC 3339 time")
	}
	t, tDate, err := parseBound(to)
	if err != nil {
		return time.Time{}, time.Time{}, errs.FieldError("to", "to must be a date (YYYY-MM-DD) or an RFC 3339 time")
	}
	if tDate {
		t = t.AddDate(0, 0, 1) // the whole last day
	}
	if !t.After(f) {
		return time.Time{}, time.Time{}, errs.FieldError("to", "the period must end after it starts")
	}
	return f.UTC(), t.UTC(), nil
}

func parseBound(s string) (time.Time, bool, error) {
	if t, err := time.ParseInLocation(time.DateOnly, s, calendar.Location()); err == nil {
		return t, true, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	return t, false, err
}
