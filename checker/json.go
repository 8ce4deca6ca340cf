package checker

import (
	"encoding/json"
	"io"
	"time"
)

// jsonReport is the machine-readable report; field names are part of the
// contract with whatever grades or plots it.
//
// A check that does not apply here has the reason in not_applicable, pass
// false and score 0; its points are in no max_score, and passed is true
// when every other check passed.
type jsonReport struct {
	Student       string      `json:"student"`
	Started       time.Time   `json:"started"`
	Score         int         `json:"score"`
	MaxScore      int         `json:"max_score"`
	Passed        bool        `json:"passed"`
	NotApplicable int         `json:"not_applicable"` // how many checks do not apply here
	Labs          []jsonLab   `json:"labs"`
	Checks        []jsonCheck `json:"checks"`
}

type jsonLab struct {
	Lab      string `json:"lab"`
	Score    int    `json:"score"`
	MaxScore int    `json:"max_score"`
}

type jsonCheck struct {
	ID     string `json:"id"`
	Lab    string `json:"lab"`
	Title  string `json:"title"`
	Points int    `json:"points"`
	Score  int    `json:"score"`
	Pass   bool   `json:"pass"`
	// NotApplicable is why the check does not apply here; absent when it ran.
	NotApplicable string   `json:"not_applicable,omitempty"`
	Evidence      []string `json:"evidence"`
	Hint          string   `json:"hint"`
	DurationMS    int64    `json:"duration_ms"`
	Exercise      bool     `json:"exercise"`
}

// WriteJSON writes the report as one indented JSON object.
func WriteJSON(w io.Writer, rep Report) error {
	got, possible := rep.Score()
	out := jsonReport{
		Student:       rep.Student,
		Started:       rep.Started,
		Score:         got,
		MaxScore:      possible,
		Passed:        rep.Passed(),
		NotApplicable: tallyOf(rep.Outcomes).notApplicable,
		Labs:          []jsonLab{},
		Checks:        []jsonCheck{},
	}
	for _, g := range rep.byLab() {
		out.Labs = append(out.Labs, jsonLab{Lab: g.Lab, Score: g.Got, MaxScore: g.Max})
	}
	for _, o := range rep.Outcomes {
		out.Checks = append(out.Checks, jsonCheck{
			ID:            o.Check.ID,
			Lab:           o.Check.Lab,
			Title:         o.Check.Title,
			Points:        o.Check.Points,
			Score:         o.score(),
			Pass:          o.Result.Pass,
			NotApplicable: o.NotApplicable,
			Evidence:      nonNil(o.Result.Evidence),
			Hint:          o.Result.Hint,
			DurationMS:    o.Duration.Milliseconds(),
			Exercise:      o.Check.Exercise,
		})
	}
	return encodeJSON(w, out)
}

// encodeJSON writes v indented, without escaping <, > and &: evidence such
// as "<none>" should read the same in the file as on the terminal.
func encodeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// nonNil makes "no evidence" an empty list rather than null.
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
