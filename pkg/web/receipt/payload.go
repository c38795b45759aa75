package receipt

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"
)

// PayloadVersion is the version of the QR payload format written by Render.
const PayloadVersion = 1

// DocumentName is the name of the document in the QR payload, without
// diacritics so that the QR code stays in plain ASCII (every reader decodes
// it the same way, whatever character set it guesses for byte mode).
const DocumentName = "Giay tiep nhan ho so va hen tra ket qua"

// IssuingSystem names Sohoa as the system that issued the receipt.
const IssuingSystem = "Sohoa"

// Payload is what the receipt's QR code holds: the minimum set of Circular
// 01/2023/TT-VPCP for documents issued by an administrative-procedure system
// (dossier code, procedure code, applicant's ID, document name, issuing
// system, issue time) plus, for a receipt, the appointment (due) date.
//
// It is encoded as one compact JSON object with the keys below, in this
// order, times in RFC 3339 with Vietnam's offset (+07:00), every non-ASCII
// character escaped as \uXXXX so the QR code is plain ASCII:
//
//	{"v":1,"doc":"Giay tiep nhan ho so va hen tra ket qua",
//	 "maHoSo":"000.00.01.H29-261123-0001","maTTHC":"1.001193",
//	 "maDinhDanh":"001099012345","heThong":"Sohoa",
//	 "thoiGian":"2026-11-23T09:15:00+07:00","henTra":"2026-11-25T16:00:00+07:00"}
//
// The Vietnamese key names follow the fields of provincial one-stop systems
// (MaHoSo, MaTTHC, MaDinhDanh).
type Payload struct {
	Version     int       `json:"v"`
	Document    string    `json:"doc"`
	DossierCode string    `json:"maHoSo"`
	Procedure   string    `json:"maTTHC"`
	ApplicantID string    `json:"maDinhDanh"`
	System      string    `json:"heThong"`
	IssuedAt    time.Time `json:"thoiGian"`
	DueAt       time.Time `json:"henTra,omitzero"`
}

// maxPayload bounds what ParsePayload reads: a QR code holds at most 2,953 bytes.
const maxPayload = 2953

// Encode returns the payload as the QR code's text.
func (p Payload) Encode() (string, error) {
	b, err := json.Marshal(p)
	if err != nil {
		return "", fmt.Errorf("receipt: encode QR payload: %w", err)
	}
	return asciiJSON(b), nil
}

// ParsePayload reads the text of a receipt's QR code.
func ParsePayload(text string) (Payload, error) {
	var p Payload
	if len(text) > maxPayload {
		return p, errors.New("receipt: QR payload too long")
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(text)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return p, fmt.Errorf("receipt: QR payload: %w", err)
	}
	if p.Version != PayloadVersion {
		return p, fmt.Errorf("receipt: QR payload version %d, want %d", p.Version, PayloadVersion)
	}
	if p.DossierCode == "" || p.Procedure == "" || p.ApplicantID == "" {
		return p, errors.New("receipt: QR payload lacks the dossier code, procedure code or applicant ID")
	}
	return p, nil
}

// asciiJSON escapes every non-ASCII character of the JSON text b as \uXXXX
// (UTF-16 surrogate pairs beyond the BMP); valid JSON stays valid.
func asciiJSON(b []byte) string {
	var out bytes.Buffer
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		b = b[n:]
		switch {
		case r < utf8.RuneSelf:
			out.WriteRune(r)
		case r > 0xffff:
			r -= 0x10000
			fmt.Fprintf(&out, `\u%04x\u%04x`, 0xd800+(r>>10), 0xdc00+(r&0x3ff))
		default:
			fmt.Fprintf(&out, `\u%04x`, r)
		}
	}
	return out.String()
}
